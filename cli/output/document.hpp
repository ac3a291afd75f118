// Printing a JSON document the way --format asks: "json", a Go template, or the command's default.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

namespace berth::cli {

// Writes `document` to stdout: indented JSON for "json" (any case), the rendered template plus a
// line end for anything else non-empty, and `default_text(document)` when format is empty.
void print_document(const nlohmann::json& document, const std::string& format,
                    const std::function<std::string(const nlohmann::json&)>& default_text);

}  // namespace berth::cli
