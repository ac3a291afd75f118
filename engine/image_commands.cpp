#include "engine/image_commands.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "registry/reference.hpp"
#include "storage/blob_store.hpp"
#include "storage/container_store.hpp"
#include "storage/layer_store.hpp"

namespace berth::engine {
namespace {

void collect_garbage(const std::string& graph_root, const storage::ImageStore& images) {
    auto used_layers = images.referenced_layers();
    storage::LayerStore layers(graph_root);
    for (const auto& chain_id : layers.list())
        if (!used_layers.contains(chain_id)) layers.remove(chain_id);
    auto used_blobs = images.referenced_blobs();
    storage::BlobStore blobs(graph_root);
    for (const auto& digest : blobs.list())
        if (!used_blobs.contains(digest)) blobs.remove(digest);
}

}  // namespace

std::string normalized_image_name(const std::string& text) {
    auto reference = registry::normalize_reference(registry::parse_reference(text));
    return reference.to_string();
}

std::vector<storage::ImageRecord> list_images(const std::string& graph_root) {
    auto records = storage::ImageStore(graph_root).list();
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
        return a.created != b.created ? a.created > b.created : a.id < b.id;
    });
    return records;
}

namespace {

// A short name ("busybox", "app:1") matches local names whose repository ends in "/<path>" with the
// same tag, whatever the registry: Podman finds locally pulled images by their short names too.
std::optional<storage::ImageRecord> find_by_short_name(const storage::ImageStore& images, const std::string& text) {
    if (registry::has_explicit_domain(text)) return std::nullopt;
    registry::Reference reference;
    try {
        reference = registry::parse_reference(text);
    } catch (const Error&) {
        return std::nullopt;
    }
    std::string suffix = "/" + reference.path + ":" + (reference.tag.empty() ? "latest" : reference.tag);
    std::vector<storage::ImageRecord> matches;
    for (const auto& record : images.list())
        for (const auto& name : record.names)
            if (name.ends_with(suffix) && (matches.empty() || matches.back().id != record.id))
                matches.push_back(record);
    if (matches.size() > 1) throw Error(text + ": short name matches several images; use a full name");
    if (matches.empty()) return std::nullopt;
    return matches.front();
}

// "repo[:tag]@sha256:..." as the repository and the digest it names; nothing for other text.
std::optional<std::pair<std::string, std::string>> digest_reference(const std::string& text) {
    if (text.find('@') == std::string::npos) return std::nullopt;
    try {
        auto reference = registry::normalize_reference(registry::parse_reference(text));
        if (reference.digest.empty()) return std::nullopt;
        return std::pair{reference.name(), reference.digest};
    } catch (const Error&) {
        return std::nullopt;
    }
}

bool has_digest(const storage::ImageRecord& record, const std::string& digest) {
    return record.manifest_digest == digest ||
           std::find(record.digests.begin(), record.digests.end(), digest) != record.digests.end();
}

bool has_repository(const storage::ImageRecord& record, const std::string& repository) {
    return std::any_of(record.names.begin(), record.names.end(),
                       [&](const std::string& name) { return name.substr(0, name.rfind(':')) == repository; });
}

// A digested reference names the image pulled by that digest from that repository (an image
// without names matches by the digest alone), as Podman's digested names do.
std::optional<storage::ImageRecord> find_by_digest_reference(const storage::ImageStore& images,
                                                             const std::string& text) {
    auto reference = digest_reference(text);
    if (!reference) return std::nullopt;
    for (const auto& record : images.list())
        if (has_digest(record, reference->second) && (record.names.empty() || has_repository(record, reference->first)))
            return record;
    return std::nullopt;
}

}  // namespace

storage::ImageRecord resolve_image(const std::string& graph_root, const std::string& text) {
    storage::ImageStore images(graph_root);
    if (auto found = images.find(text)) return *found;
    try {
        if (auto found = images.find(normalized_image_name(text))) return *found;
    } catch (const Error&) {
        // Not a valid name either: report it as unknown below.
    }
    if (auto found = find_by_short_name(images, text)) return *found;
    if (auto found = find_by_digest_reference(images, text)) return *found;
    throw Error(text + ": image not known");
}

void tag_image(const std::string& graph_root, const std::string& image, const std::string& new_name) {
    auto record = resolve_image(graph_root, image);
    storage::ImageStore(graph_root).add_name(record.id, normalized_image_name(new_name));
}

namespace {

// The first container using an image, if any.
std::optional<std::string> container_using(const std::string& graph_root, const std::string& image_id) {
    for (const auto& container : storage::ContainerStore(graph_root).list())
        if (container.image_id == image_id) return container.id;
    return std::nullopt;
}

// Podman's refusal (exit status 2) to remove an image a container was created from.
void refuse_if_in_use(const std::string& graph_root, const std::string& image_id) {
    if (auto container = container_using(graph_root, image_id))
        throw Error("image used by " + *container +
                        ": image is in use by a container: consider listing external containers and force-removing "
                        "image",
                    2);
}

}  // namespace

RemovedImage remove_image(const std::string& graph_root, const std::string& text) {
    storage::ImageStore images(graph_root);
    auto record = resolve_image(graph_root, text);
    RemovedImage removed;
    std::string name;
    try {
        name = normalized_image_name(text);
    } catch (const Error&) {
    }
    if (auto digested = digest_reference(text); digested && !record.names.empty()) {
        // The digested name goes; the image stays with its tags (Podman: "Untagged: repo@sha256:...").
        removed.untagged.push_back(digested->first + "@" + digested->second);
        return removed;
    }
    bool by_name = std::find(record.names.begin(), record.names.end(), name) != record.names.end();
    if (by_name && record.names.size() > 1) {
        images.remove_name(name);
        removed.untagged.push_back(name);
        return removed;
    }
    refuse_if_in_use(graph_root, record.id);
    images.remove(record.id);
    removed.untagged = record.names;
    removed.deleted = record.id;
    collect_garbage(graph_root, images);
    return removed;
}

std::vector<std::string> untag_image(const std::string& graph_root, const std::string& image,
                                     const std::vector<std::string>& names) {
    auto record = resolve_image(graph_root, image);
    storage::ImageStore images(graph_root);
    std::vector<std::string> removed;
    if (names.empty()) {
        for (const auto& name : record.names) images.remove_name(name);
        return record.names;
    }
    for (const auto& text : names) {
        if (auto digested = digest_reference(text); digested && has_digest(record, digested->second)) {
            removed.push_back(digested->first + "@" + digested->second);  // a digested name: no tag to remove
            continue;
        }
        std::string name = normalized_image_name(text);
        if (std::find(record.names.begin(), record.names.end(), name) == record.names.end())
            throw Error(text + ": tag not known");
        images.remove_name(name);
        removed.push_back(name);
    }
    return removed;
}

std::vector<std::string> prune_images(const std::string& graph_root, bool all) {
    storage::ImageStore images(graph_root);
    std::vector<std::string> removed;
    for (const auto& record : images.list()) {
        if (!all && !record.names.empty()) continue;
        if (container_using(graph_root, record.id)) continue;
        images.remove(record.id);
        removed.push_back(record.id);
    }
    if (!removed.empty()) collect_garbage(graph_root, images);
    return removed;
}

namespace {

// "docker.io/library/busybox:latest" -> "docker.io/library/busybox@sha256:..." for each digest.
std::vector<std::string> repo_digests(const storage::ImageRecord& record) {
    std::vector<std::string> result;
    for (const auto& name : record.names) {
        std::string repository = name.substr(0, name.rfind(':'));
        for (const auto& digest : record.digests) {
            std::string entry = repository + "@" + digest;
            if (std::find(result.begin(), result.end(), entry) == result.end()) result.push_back(entry);
        }
    }
    return result;
}

}  // namespace

nlohmann::json inspect_image(const std::string& graph_root, const std::string& text) {
    auto record = resolve_image(graph_root, text);
    storage::BlobStore blobs(graph_root);
    auto config = nlohmann::json::parse(blobs.read(record.id), nullptr, false);
    if (!config.is_object()) throw Error("image " + record.id + ": malformed config blob");
    nlohmann::json history = config.value("history", nlohmann::json::array());
    return {{"Id", record.id.substr(7)},
            {"Digest", record.manifest_digest},
            {"RepoTags", record.names},
            {"RepoDigests", repo_digests(record)},
            {"Parent", ""},
            {"Comment", ""},
            {"Created", record.created},
            {"Config", config.value("config", nlohmann::json::object())},
            {"Version", ""},
            {"Author", config.value("author", "")},
            {"Architecture", config.value("architecture", "")},
            {"Os", config.value("os", "")},
            {"Size", record.size},
            {"VirtualSize", record.size},
            {"GraphDriver", {{"Name", "overlay"}, {"Data", nlohmann::json::object()}}},
            {"RootFS", {{"Type", "layers"}, {"Layers", record.diff_ids}}},
            {"Labels", config.value("config", nlohmann::json::object()).value("Labels", nlohmann::json())},
            {"Annotations", nlohmann::json::object()},
            {"ManifestType", record.manifest_media_type},
            {"User", config.value("config", nlohmann::json::object()).value("User", "")},
            {"History", history},
            {"NamesHistory", record.names}};
}

}  // namespace berth::engine
