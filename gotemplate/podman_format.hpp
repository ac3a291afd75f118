// Podman's conventions around Go templates (containers/common's report package): what a --format
// value means, how it is rewritten before parsing, the `table` prefix with its heading row and
// aligned columns, and the headings derived from field names.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "gotemplate/template.hpp"

namespace berth::gotemplate {

// Whether --format asks for Podman's JSON output rather than a template ("json", any case).
bool is_json_format(std::string_view format);

// Whether --format starts with Podman's "table " prefix.
bool is_table_format(std::string_view format);

// The template Podman parses for a user's --format: "table " dropped (then spaces and `\t` become
// tabs), the escapes `\t` and `\n` in the text turned into tab and line end, a line end added unless
// the format ends with one (or writes one itself inside an action); with `over_list` the whole is
// wrapped in {{range .}}...{{end -}} unless it ranges over the list itself.
std::string normalize_format(std::string_view format, bool over_list);

// A column heading from a Go field name: its camel-case words upper-cased ("CreatedAt" -> "CREATED AT").
std::string heading(std::string_view field);

// The heading row for `fields`, with `overrides` (field -> heading) applied.
nlohmann::json headings(const std::vector<std::string>& fields,
                        const std::map<std::string, std::string>& overrides = {});

// A parsed --format for a command, rendered against a list (ps, images) or one document (version, info).
class Report {
public:
    // `name` is the command name that errors show ("ps"); `over_list` as in normalize_format.
    Report(std::string name, std::string_view format, bool over_list);

    bool table() const { return table_; }
    const Template& parsed() const { return template_; }

    // Renders `data`; for a table the heading row (`headings`, a map of field to heading) comes first
    // and the columns are aligned.
    std::string render(const nlohmann::json& data, const ExecuteOptions& options,
                       const nlohmann::json& heading_row = nlohmann::json::object()) const;

private:
    bool table_;
    Template template_;
};

}  // namespace berth::gotemplate
