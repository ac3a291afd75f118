// OCI image manifests, indexes and configs checked against the JSON schemas of the OCI image spec.
//
// The schemas are those of Debian's golang-github-opencontainers-image-spec-dev, embedded in berth at build time
// (engine/oci_image_schemas.cmake); valijson validates, with std::regex (ECMAScript) for their patterns. Two things
// valijson would get wrong are handled before it runs:
// - std::regex matches recursively, one stack frame per character, so a long enough string under a pattern or a
//   date-time format would overflow the stack: such strings (and every member name, which patternProperties may
//   match) longer than `oci_schema_longest_checked_string` are refused without matching;
// - valijson reads integers as int64, so a number above INT64_MAX would wrap around to a negative one and pass a
//   bound ("size" is at most 9223372036854776000 as defs.json writes int64's maximum): such numbers are compared with
//   the schema's maximum here.
// A Docker schema 2 manifest, manifest list or image config has no schema here; callers check those structurally.
#pragma once

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace berth::engine {

// Throws Error("<where>: does not conform to the OCI image <kind> schema: <path>: <why>") for the first violation,
// <path> being a JSON pointer ("/layers/0/digest") or "(root)". `kind` is "manifest", "index" or "config".
void validate_oci_document(std::string_view kind, const nlohmann::json& document, const std::string& where);

// Strings longer than this are not matched against the schemas' patterns and formats (see above).
inline constexpr size_t oci_schema_longest_checked_string = 1024;

// The embedded schema files' names, and one of them parsed (throws Error for an unknown name); the directory the
// build read them from.
std::vector<std::string> oci_image_schema_names();
std::string_view oci_image_schema_source_directory();
const nlohmann::json& oci_image_schema(std::string_view name);

// The names of the properties whose string values (or array elements) the schemas match against a pattern or a
// date-time format, found in the schemas themselves: the strings whose length is bounded before validating.
const std::set<std::string>& oci_schema_matched_properties();

}  // namespace berth::engine
