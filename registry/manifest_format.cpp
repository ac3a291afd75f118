#include "registry/manifest_format.hpp"

#include <nlohmann/json.hpp>

#include "registry/media_types.hpp"

namespace berth::registry {
namespace {

std::string lowercase(std::string text) {
    for (char& c : text)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return text;
}

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

bool is_generic_content_type(std::string_view type) {
    return type.empty() || type == "application/json" || type == "text/plain" || type == "application/octet-stream" ||
           type == "binary/octet-stream";
}

std::string manifest_ambiguity(std::string_view content_type, std::string_view body) {
    auto document = nlohmann::json::parse(body, nullptr, false);
    if (document.is_discarded() || !document.is_object()) return {};
    bool has_layers = document.contains("layers");
    bool has_manifests = document.contains("manifests");
    if (has_layers && has_manifests) return "it has both \"layers\" and \"manifests\"";

    std::string declared;
    if (auto field = document.find("mediaType"); field != document.end() && field->is_string())
        declared = lowercase(field->get<std::string>());
    bool typed_by_header = !is_generic_content_type(content_type);
    if (typed_by_header && !declared.empty() && declared != content_type)
        return "its mediaType " + in_quotes(declared) + " contradicts the Content-Type " + in_quotes(content_type);

    std::string type = typed_by_header ? std::string(content_type) : declared;
    if (media_type::is_index(type)) {
        for (const char* field : {"config", "layers"})
            if (document.contains(field)) return "it is an index (" + type + ") but has " + in_quotes(field);
    } else if (media_type::is_image_manifest(type) && has_manifests) {
        return "it is an image manifest (" + type + ") but has \"manifests\"";
    }
    return {};
}

}  // namespace berth::registry
