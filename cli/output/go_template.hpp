// The subset of Go's text/template that Podman users put in --format:
// {{.Field.Path}} (field names match JSON keys case-insensitively), {{.}}, {{json .X}},
// {{upper .X}}, {{lower .X}}, {{range .X}}...{{end}}, {{if .X}}...{{else}}...{{end}},
// and the escapes \t and \n in the text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace berth::cli {

// Renders a template against a document; throws berth::Error for a malformed template or a field
// the document does not have.
std::string render_template(std::string_view text, const nlohmann::json& data);

}  // namespace berth::cli
