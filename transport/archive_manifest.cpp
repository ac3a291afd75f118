#include "transport/archive_manifest.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/lexical_path.hpp"

namespace berth::transport {
namespace {

using nlohmann::json;

constexpr const char* ref_name_annotation = "org.opencontainers.image.ref.name";

bool is_sha256_digest(const std::string& digest) {
    if (digest.size() != 71 || !digest.starts_with("sha256:")) return false;
    for (char c : digest.substr(7))
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

std::string checked_member(const json& value, const char* what) {
    if (!value.is_string()) throw Error(std::string("manifest.json: ") + what + " is not a string");
    auto name = value.get<std::string>();
    auto plain = archive_member_name(name);
    if (!plain) throw Error("hostile archive: manifest.json names \"" + name + "\", which is outside the archive");
    return *plain;
}

}  // namespace

std::optional<std::string> archive_member_name(std::string_view name) {
    if (name.empty() || name.front() == '/') return std::nullopt;
    auto parts = lexical_components(name);
    if (!parts || parts->empty()) return std::nullopt;
    std::string plain;
    for (const auto& part : *parts) plain += (plain.empty() ? "" : "/") + part;
    return plain;
}

std::optional<std::string> resolve_member_link(std::string_view link, std::string_view target) {
    if (target.empty() || target.front() == '/') return std::nullopt;
    size_t slash = link.rfind('/');
    std::string joined = slash == std::string_view::npos ? std::string(target)
                                                         : std::string(link.substr(0, slash + 1)) + std::string(target);
    return archive_member_name(joined);
}

std::vector<DockerArchiveEntry> parse_docker_archive_manifest(std::string_view body) {
    auto document = json::parse(body, nullptr, false);
    if (document.is_discarded()) throw Error("manifest.json: not valid JSON");
    if (!document.is_array()) throw Error("manifest.json: not an array of images");
    std::vector<DockerArchiveEntry> entries;
    for (const auto& item : document) {
        if (!item.is_object() || !item.contains("Config") || !item.contains("Layers") || !item["Layers"].is_array())
            throw Error("manifest.json: an image without \"Config\" and \"Layers\"");
        DockerArchiveEntry entry;
        entry.config = checked_member(item["Config"], "Config");
        for (const auto& layer : item["Layers"]) entry.layers.push_back(checked_member(layer, "a layer"));
        if (item.contains("RepoTags") && !item["RepoTags"].is_null()) {
            if (!item["RepoTags"].is_array()) throw Error("manifest.json: RepoTags is not an array");
            for (const auto& tag : item["RepoTags"]) {
                if (!tag.is_string()) throw Error("manifest.json: a RepoTag is not a string");
                entry.repo_tags.push_back(tag.get<std::string>());
            }
        }
        entries.push_back(std::move(entry));
    }
    if (entries.empty()) throw Error("manifest.json: no images");
    return entries;
}

std::string docker_archive_manifest(const std::vector<DockerArchiveEntry>& entries) {
    json document = json::array();
    for (const auto& entry : entries)
        document.push_back({{"Config", entry.config}, {"RepoTags", entry.repo_tags}, {"Layers", entry.layers}});
    return document.dump();
}

std::vector<OciIndexEntry> parse_oci_index(std::string_view body) {
    auto document = json::parse(body, nullptr, false);
    if (document.is_discarded()) throw Error("index.json: not valid JSON");
    if (!document.is_object() || !document.contains("manifests") || !document["manifests"].is_array())
        throw Error("index.json: not an image index (no \"manifests\" array)");
    std::vector<OciIndexEntry> entries;
    for (const auto& item : document["manifests"]) {
        if (!item.is_object()) throw Error("index.json: a manifest entry is not an object");
        OciIndexEntry entry;
        auto media_type = item.find("mediaType");
        auto digest = item.find("digest");
        auto size = item.find("size");
        if (media_type == item.end() || !media_type->is_string() || digest == item.end() || !digest->is_string() ||
            size == item.end() || !size->is_number_integer())
            throw Error("index.json: a manifest entry without mediaType, digest and size");
        entry.media_type = media_type->get<std::string>();
        entry.digest = digest->get<std::string>();
        entry.size = size->get<long long>();
        if (!is_sha256_digest(entry.digest))
            throw Error("index.json: unsupported or malformed digest \"" + entry.digest + "\"");
        auto annotations = item.find("annotations");
        if (annotations != item.end() && annotations->is_object()) {
            auto name = annotations->find(ref_name_annotation);
            if (name != annotations->end() && name->is_string()) entry.ref_name = name->get<std::string>();
        }
        entries.push_back(std::move(entry));
    }
    if (entries.empty()) throw Error("index.json: no manifests");
    return entries;
}

std::string oci_index(const std::vector<OciIndexEntry>& entries) {
    json manifests = json::array();
    for (const auto& entry : entries) {
        json item = {{"mediaType", entry.media_type}, {"digest", entry.digest}, {"size", entry.size}};
        if (!entry.ref_name.empty()) item["annotations"] = {{ref_name_annotation, entry.ref_name}};
        manifests.push_back(std::move(item));
    }
    return json{{"schemaVersion", 2}, {"manifests", manifests}}.dump();
}

std::string oci_blob_member(const std::string& digest) {
    if (!is_sha256_digest(digest)) throw Error("unsupported or malformed digest \"" + digest + "\"");
    return "blobs/sha256/" + digest.substr(7);
}

}  // namespace berth::transport
