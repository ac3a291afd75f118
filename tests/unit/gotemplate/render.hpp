// Helpers of the template engine's tests: render a template, or the message it fails with.
#pragma once

#include <string>

#include "gotemplate/template.hpp"

namespace berth::gotemplate::testing {

inline const nlohmann::json& sample() {
    static const nlohmann::json document = {
        {"ID", "9e3173d343c8"},
        {"Names", {"c1", "web"}},
        {"Labels", {{"a", "b"}, {"tier", "front"}}},
        {"Ports", nullptr},
        {"Pid", 0},
        {"Size", 1536},
        {"Ratio", 1.5},
        {"Exited", false},
        {"Running", true},
        {"Empty", ""},
        {"None", nlohmann::json::array()},
        {"Client", {{"Version", "4.3.1"}, {"Os", "linux"}, {"OsArch", "linux/amd64"}, {"Built", 0}}},
        {"Mounts", {{{"Source", "/a"}, {"Destination", "/b"}}, {{"Source", "/c"}, {"Destination", "/d"}}}},
    };
    return document;
}

inline ExecuteOptions sample_options() {
    ExecuteOptions options;
    options.root_type = "containers.psReporter";
    options.field_types = {{"Labels", "map[string]string"}, {"Client", "*define.Version"}};
    return options;
}

inline std::string render(const std::string& text, const nlohmann::json& data = sample(),
                          const ExecuteOptions& options = sample_options()) {
    return Template::parse("t", text).execute(data, options);
}

inline std::string failure(const std::string& text, const nlohmann::json& data = sample(),
                           const ExecuteOptions& options = sample_options()) {
    try {
        render(text, data, options);
    } catch (const TemplateError& error) {
        return error.what();
    }
    return "(no error)";
}

}  // namespace berth::gotemplate::testing
