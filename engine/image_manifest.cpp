#include "engine/image_manifest.hpp"

#include <nlohmann/json.hpp>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "engine/image_schema.hpp"
#include "registry/media_types.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;
namespace media_type = registry::media_type;

// The document's own "mediaType" when it is a string.
std::string declared_media_type(const json& document) {
    auto declared = document.find("mediaType");
    return declared != document.end() && declared->is_string() ? declared->get<std::string>() : "";
}

// As containers/image guesses: a Docker schema 2 manifest always says what it is; one that does not is OCI, unless
// its config is Docker's.
bool is_oci_manifest(const json& document, std::string_view type) {
    if (!type.empty()) return type == media_type::oci_manifest;
    if (document.contains("mediaType")) return declared_media_type(document) != media_type::docker_manifest;
    auto config = document.find("config");
    return !(config != document.end() && config->is_object() &&
             declared_media_type(*config) == media_type::docker_config);
}

bool is_oci_index(const json& document, std::string_view type) {
    if (!type.empty()) return type == media_type::oci_index;
    return !(document.contains("mediaType") && declared_media_type(document) == media_type::docker_manifest_list);
}

json parse_json(std::string_view body, const std::string& where) {
    json document = json::parse(body, nullptr, false);
    if (document.is_discarded() || !document.is_object()) throw Error(where + ": malformed JSON");
    return document;
}

std::string string_field(const json& object, const char* key, const std::string& where) {
    auto found = object.find(key);
    if (found == object.end() || !found->is_string()) throw Error(where + ": missing or invalid \"" + key + "\"");
    return found->get<std::string>();
}

Descriptor parse_descriptor(const json& object, const std::string& where) {
    if (!object.is_object()) throw Error(where + ": a descriptor is not an object");
    Descriptor descriptor;
    descriptor.media_type = string_field(object, "mediaType", where);
    descriptor.digest = string_field(object, "digest", where);
    if (!is_sha256_digest(descriptor.digest))
        throw Error(where + ": unsupported or invalid digest \"" + descriptor.digest + "\"");
    auto size = object.find("size");
    if (size == object.end() || !size->is_number_unsigned()) throw Error(where + ": missing or invalid \"size\"");
    descriptor.size = size->get<uint64_t>();
    if (auto platform = object.find("platform"); platform != object.end() && platform->is_object()) {
        descriptor.platform =
            Platform{platform->value("os", ""), platform->value("architecture", ""), platform->value("variant", "")};
    }
    return descriptor;
}

bool same_variant(const Platform& offered, const Platform& wanted) {
    if (wanted.variant.empty()) return true;
    auto normal = [](const Platform& platform) {
        return platform.architecture == "arm64" && platform.variant.empty() ? std::string("v8") : platform.variant;
    };
    return normal(offered) == normal(wanted);
}

std::string platform_text(const Platform& platform) {
    return platform.os + "/" + platform.architecture + (platform.variant.empty() ? "" : "/" + platform.variant);
}

}  // namespace

ImageManifest parse_image_manifest(std::string_view body, const std::string& where, std::string_view type) {
    json document = parse_json(body, where);
    if (is_oci_manifest(document, type)) validate_oci_document("manifest", document, where);
    if (document.value("schemaVersion", 0) != 2) throw Error(where + ": unsupported schemaVersion");
    auto layers = document.find("layers");
    if (!document.contains("config") || layers == document.end() || !layers->is_array())
        throw Error(where + ": not an image manifest (no config or layers)");
    ImageManifest manifest;
    manifest.config = parse_descriptor(document["config"], where);
    for (const auto& layer : *layers) {
        Descriptor descriptor = parse_descriptor(layer, where);
        if (!media_type::is_layer(descriptor.media_type))
            throw Error(where + ": unsupported layer media type \"" + descriptor.media_type + "\"");
        manifest.layers.push_back(std::move(descriptor));
    }
    return manifest;
}

std::vector<Descriptor> parse_index(std::string_view body, const std::string& where, std::string_view type) {
    json document = parse_json(body, where);
    if (is_oci_index(document, type)) validate_oci_document("index", document, where);
    auto manifests = document.find("manifests");
    if (manifests == document.end() || !manifests->is_array()) throw Error(where + ": no \"manifests\" list");
    std::vector<Descriptor> entries;
    for (const auto& entry : *manifests) entries.push_back(parse_descriptor(entry, where));
    return entries;
}

Platform parse_platform(std::string_view text) {
    auto parts = split(text, '/');
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty())
        throw Error("invalid platform \"" + std::string(text) + "\": expected os/arch[/variant]");
    return {parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
}

Descriptor select_platform(const std::vector<Descriptor>& entries, const Platform& wanted, const std::string& where) {
    std::string offered;
    std::string other_types;
    bool any_manifest = false;
    for (const auto& entry : entries) {
        // The image spec: an entry of a media type the implementation does not know MUST be ignored.
        if (!media_type::is_image_manifest(entry.media_type) && !media_type::is_index(entry.media_type)) {
            if (other_types.find('"' + entry.media_type + '"') == std::string::npos)
                other_types += (other_types.empty() ? "\"" : ", \"") + entry.media_type + '"';
            continue;
        }
        any_manifest = true;
        if (!entry.platform) continue;
        offered += (offered.empty() ? "" : ", ") + platform_text(*entry.platform);
        if (entry.platform->os == wanted.os && entry.platform->architecture == wanted.architecture &&
            same_variant(*entry.platform, wanted))
            return entry;
    }
    if (!any_manifest && !other_types.empty())
        throw Error(where + ": the index lists no manifests (its entries are " + other_types + ")");
    throw Error(where + ": no image found in manifest list for architecture " + wanted.architecture + ", variant \"" +
                wanted.variant + "\", OS " + wanted.os + " (it has: " + (offered.empty() ? "nothing" : offered) + ")");
}

ImageConfigSummary parse_image_config(std::string_view body, const std::string& where, std::string_view type) {
    json document = parse_json(body, where);
    if (type == media_type::oci_config) validate_oci_document("config", document, where);
    ImageConfigSummary summary;
    auto rootfs = document.find("rootfs");
    if (rootfs == document.end() || !rootfs->is_object() || !rootfs->contains("diff_ids") ||
        !(*rootfs)["diff_ids"].is_array())
        throw Error(where + ": no rootfs.diff_ids");
    for (const auto& diff_id : (*rootfs)["diff_ids"]) {
        if (!diff_id.is_string() || !is_sha256_digest(diff_id.get<std::string>()))
            throw Error(where + ": invalid diff id");
        summary.diff_ids.push_back(diff_id.get<std::string>());
    }
    summary.created = document.value("created", "");
    summary.architecture = document.value("architecture", "");
    summary.os = document.value("os", "");
    return summary;
}

}  // namespace berth::engine
