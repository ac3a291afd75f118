// Printing a JSON document the way --format asks: "json", a Go template, or the command's default.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/output/format.hpp"

namespace berth::cli {

// Writes `document` to stdout: indented JSON for "json" (any case), the document rendered through
// the Go template (as `template_view(document)`, the fields Go names, when given) for anything else
// non-empty, and `default_text(document)` when format is empty.
void print_document(const nlohmann::json& document, const std::string& format,
                    const std::function<std::string(const nlohmann::json&)>& default_text, const TemplateSchema& schema,
                    const std::function<nlohmann::json(const nlohmann::json&)>& template_view = {});

}  // namespace berth::cli
