// The distribution spec's guard against a document that could be read as two kinds (its security considerations): a
// manifest or an index served by a registry must say one thing, and say the same as the reply's Content-Type.
#pragma once

#include <string>
#include <string_view>

namespace berth::registry {

// Content-Type values that say nothing about which manifest format a body is (application/json, text/plain, ...).
bool is_generic_content_type(std::string_view content_type);

// Why a manifest body served with `content_type` (the reply's Content-Type, lowercase, without parameters; empty or
// generic such as application/json when the registry says nothing useful) is ambiguous; an empty string when it is not:
//  - it has both "layers" (an image manifest's) and "manifests" (an index's);
//  - its "mediaType" field names another type than the Content-Type;
//  - it is an index (by its Content-Type, else its "mediaType") with "config" or "layers", or an image manifest with
//    "manifests".
// A body that is not a JSON object is not judged here (parsing it fails later with its own error).
std::string manifest_ambiguity(std::string_view content_type, std::string_view body);

}  // namespace berth::registry
