#include "transport/manifest_format.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "registry/media_types.hpp"

namespace berth::transport {
namespace {

namespace media_type = registry::media_type;
using Json = nlohmann::ordered_json;

std::string_view target_type(ManifestFormat format) {
    return format == ManifestFormat::oci ? media_type::oci_manifest : media_type::docker_manifest;
}

// The layer type of the format for a stored layer type.
std::string layer_type(const std::string& stored, ManifestFormat format) {
    bool gzip = stored == media_type::oci_layer_gzip || stored == media_type::docker_layer_gzip;
    if (format == ManifestFormat::docker_v2s2) {
        if (gzip) return std::string(media_type::docker_layer_gzip);
        if (stored == media_type::docker_foreign_layer_gzip) return stored;
        throw Error("layers of type " + stored + " cannot be written in the v2s2 format (it has gzip layers only)");
    }
    if (gzip) return std::string(media_type::oci_layer_gzip);
    if (stored == media_type::oci_layer_tar || stored == media_type::oci_layer_zstd) return stored;
    throw Error("layers of type " + stored + " cannot be written in the oci format");
}

// A descriptor in the field order containers/image writes: Docker's mediaType, size, digest; OCI's mediaType,
// digest, size (then annotations, kept for OCI only).
Json descriptor(const Json& stored, std::string type, ManifestFormat format) {
    Json converted;
    converted["mediaType"] = std::move(type);
    if (format == ManifestFormat::docker_v2s2) {
        converted["size"] = stored.at("size");
        converted["digest"] = stored.at("digest");
    } else {
        converted["digest"] = stored.at("digest");
        converted["size"] = stored.at("size");
        if (stored.contains("annotations")) converted["annotations"] = stored["annotations"];
    }
    return converted;
}

}  // namespace

ManifestFormat parse_manifest_format(std::string_view text) {
    if (text.empty()) return ManifestFormat::keep;
    if (text == "oci") return ManifestFormat::oci;
    if (text == "v2s2") return ManifestFormat::docker_v2s2;
    if (text == "v2s1") throw Error("the v2s1 format (Docker schema 1) is not written by berth: use oci or v2s2");
    throw Error("unknown format \"" + std::string(text) +
                "\". Choose on of the supported formats: 'oci', 'v2s1', or 'v2s2'");
}

FormattedManifest format_manifest(const std::string& body, const std::string& media_type, ManifestFormat format) {
    if (format == ManifestFormat::keep || media_type == target_type(format)) return {media_type, body};
    if (media_type != media_type::oci_manifest && media_type != media_type::docker_manifest)
        throw Error("a manifest of type " + media_type + " cannot be converted");
    Json stored = Json::parse(body, nullptr, false);
    if (stored.is_discarded() || !stored.is_object() || !stored.contains("config") || !stored.contains("layers"))
        throw Error("the stored manifest is not a valid image manifest");
    try {
        Json converted;
        converted["schemaVersion"] = 2;
        converted["mediaType"] = std::string(target_type(format));
        std::string config_type(format == ManifestFormat::oci ? media_type::oci_config : media_type::docker_config);
        converted["config"] = descriptor(stored["config"], config_type, format);
        converted["layers"] = Json::array();
        for (const Json& layer : stored["layers"])
            converted["layers"].push_back(
                descriptor(layer, layer_type(layer.at("mediaType").get<std::string>(), format), format));
        if (format == ManifestFormat::oci && stored.contains("annotations"))
            converted["annotations"] = stored["annotations"];
        return {std::string(target_type(format)), converted.dump()};
    } catch (const nlohmann::json::exception& error) {
        throw Error(std::string("the stored manifest is not a valid image manifest: ") + error.what());
    }
}

}  // namespace berth::transport
