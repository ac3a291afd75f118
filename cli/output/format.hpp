// A user's --format Go template applied to a command's output the way Podman applies it: lists
// (ps, images, inspect) are ranged over, single documents (info, version) are not; `table` adds
// the heading row and aligns the columns.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "gotemplate/template.hpp"

namespace berth::cli {

// How a command's documents look to templates.
struct TemplateSchema {
    std::string command;  // the template's name in errors: "ps", "images", "inspect", "info"
    std::string type;     // the Go type of one document: "containers.psReporter"
    std::map<std::string, std::string, std::less<>> field_types;     // "Labels" -> "map[string]string"
    std::vector<std::string> fields;                                 // the heading row's fields
    std::map<std::string, std::string> heading_overrides;            // "ID" -> "CONTAINER ID"
    std::map<std::string, std::string, std::less<>> json_keys = {};  // Go field -> JSON key: "ID" -> "Id"
};

// Renders `rows` (an array) through `format`; throws gotemplate::TemplateError.
std::string format_list(const nlohmann::json& rows, const std::string& format, const TemplateSchema& schema);

// The fields a list --format looks up, or nothing when it may use whole rows (see
// gotemplate::Template::referenced_fields); throws gotemplate::TemplateError for a bad template.
std::optional<std::set<std::string>> template_fields(const std::string& format, const TemplateSchema& schema);

// Renders one document through `format`; throws gotemplate::TemplateError.
std::string format_document(const nlohmann::json& document, const std::string& format, const TemplateSchema& schema);

// inspect's output: the documents as indented JSON for no format or "json", else through the
// template (errors as Podman's: "inspecting object: printing inspect output: template: ...").
void print_inspect(const nlohmann::json& documents, const std::string& format, const TemplateSchema& schema);

// How container and image inspect documents look to templates.
const TemplateSchema& container_inspect_schema();
const TemplateSchema& image_inspect_schema();

// The document with its object keys as Go's field names: the first letter upper-cased, or the
// name in `renames` ("cpus" -> "CPUs"); the keys of objects under a key in `maps` are kept.
nlohmann::json go_field_names(const nlohmann::json& document, const std::map<std::string, std::string>& renames,
                              const std::set<std::string>& maps);

}  // namespace berth::cli
