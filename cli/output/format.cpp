#include "cli/output/format.hpp"

#include <cstdio>
#include <regex>

#include "common/error.hpp"
#include "gotemplate/podman_format.hpp"

namespace berth::cli {
namespace {

gotemplate::ExecuteOptions options_for(const TemplateSchema& schema, bool list) {
    gotemplate::ExecuteOptions options;
    options.root_type = list ? "[]" + schema.type : schema.type;
    options.field_types = schema.field_types;
    options.json_keys = schema.json_keys;
    return options;
}

nlohmann::json heading_row(const nlohmann::json& rows, const TemplateSchema& schema) {
    std::vector<std::string> fields = schema.fields;
    if (fields.empty() && rows.is_array() && !rows.empty() && rows.front().is_object())
        for (auto it = rows.front().begin(); it != rows.front().end(); ++it) fields.push_back(it.key());
    return gotemplate::headings(fields, schema.heading_overrides);
}

}  // namespace

std::string format_list(const nlohmann::json& rows, const std::string& format, const TemplateSchema& schema) {
    gotemplate::Report report(schema.command, format, true);
    return report.render(rows, options_for(schema, true), heading_row(rows, schema));
}

std::optional<std::set<std::string>> template_fields(const std::string& format, const TemplateSchema& schema) {
    return gotemplate::Report(schema.command, format, true).parsed().referenced_fields();
}

std::string format_document(const nlohmann::json& document, const std::string& format, const TemplateSchema& schema) {
    gotemplate::Report report(schema.command, format, false);
    return report.render(document, options_for(schema, false), heading_row(nlohmann::json::array({document}), schema));
}

namespace {

// Podman's inspect rewrites these before parsing a template: `{{.Id}}` is the Go field ID (the JSON
// key is "Id"), and the older names .Src, .Dst, .ImageID (for images also .Config.Healthcheck).
std::string normalized_inspect_format(std::string format, bool image) {
    static const std::regex id_field(R"(\{\{\s*\.Id\s*\}\})");
    format = std::regex_replace(format, id_field, "{{.ID}}");
    std::vector<std::pair<std::string, std::string>> renames = {
        {".Src", ".Source"}, {".Dst", ".Destination"}, {".ImageID", ".Image"}};
    if (image) renames.emplace_back(".Config.Healthcheck", ".HealthCheck");
    std::string result;
    for (size_t i = 0; i < format.size();) {
        bool replaced = false;
        for (const auto& [from, to] : renames)
            if (format.compare(i, from.size(), from) == 0) {
                result += to;
                i += from.size();
                replaced = true;
                break;
            }
        if (!replaced) result += format[i++];
    }
    return result;
}

}  // namespace

void print_inspect(const nlohmann::json& documents, const std::string& format, const TemplateSchema& schema) {
    std::string text;
    if (format.empty() || gotemplate::is_json_format(format)) {
        text = documents.dump(4) + "\n";
    } else {
        try {
            text =
                format_list(documents, normalized_inspect_format(format, &schema == &image_inspect_schema()), schema);
        } catch (const gotemplate::TemplateError& error) {
            throw Error(std::string("inspecting object: printing inspect output: ") + error.what());
        }
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
}

const TemplateSchema& container_inspect_schema() {
    static const TemplateSchema schema{"inspect",
                                       "interface {}",
                                       {{"State", "*define.InspectContainerState"},
                                        {"Config", "*define.InspectContainerConfig"},
                                        {"HostConfig", "*define.InspectContainerHostConfig"},
                                        {"NetworkSettings", "*define.InspectNetworkSettings"},
                                        {"Labels", "map[string]string"},
                                        {"Annotations", "map[string]string"}},
                                       {},
                                       {},
                                       {{"ID", "Id"}}};
    return schema;
}

const TemplateSchema& image_inspect_schema() {
    static const TemplateSchema schema{"inspect",
                                       "interface {}",
                                       {{"Config", "*v1.ImageConfig"},
                                        {"RootFS", "*inspect.RootFS"},
                                        {"Labels", "map[string]string"},
                                        {"Annotations", "map[string]string"}},
                                       {},
                                       {},
                                       {{"ID", "Id"}}};
    return schema;
}

nlohmann::json go_field_names(const nlohmann::json& document, const std::map<std::string, std::string>& renames,
                              const std::set<std::string>& maps) {
    if (document.is_array()) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& item : document) out.push_back(go_field_names(item, renames, maps));
        return out;
    }
    if (!document.is_object()) return document;
    nlohmann::json out = nlohmann::json::object();
    for (auto it = document.begin(); it != document.end(); ++it) {
        std::string name = it.key();
        auto renamed = renames.find(name);
        if (renamed != renames.end())
            name = renamed->second;
        else if (!name.empty() && name[0] >= 'a' && name[0] <= 'z')
            name[0] = static_cast<char>(name[0] - 32);
        out[name] = maps.contains(it.key()) ? it.value() : go_field_names(it.value(), renames, maps);
    }
    return out;
}

}  // namespace berth::cli
