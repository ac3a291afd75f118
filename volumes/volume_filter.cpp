#include "volumes/volume_filter.hpp"

#include <algorithm>
#include <regex>

#include "common/error.hpp"

namespace berth::volumes {
namespace {

bool name_matches(const std::string& pattern, const std::string& name) {
    try {
        return std::regex_search(name, std::regex(pattern));
    } catch (const std::regex_error&) {
        return name.find(pattern) != std::string::npos;
    }
}

bool label_matches(const std::string& term, const std::map<std::string, std::string>& labels) {
    auto equals = term.find('=');
    auto found = labels.find(term.substr(0, equals));
    if (found == labels.end()) return false;
    return equals == std::string::npos || found->second == term.substr(equals + 1);
}

bool parse_truth(const std::string& value) {
    if (value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    throw Error("failed to parse dangling filter value \"" + value + "\": invalid argument");
}

}  // namespace

VolumeFilter parse_volume_filter(const std::vector<std::string>& given, const std::vector<std::string>& keys) {
    VolumeFilter filter;
    for (const auto& text : given) {
        auto equals = text.find('=');
        std::string key = text.substr(0, equals);
        if (std::find(keys.begin(), keys.end(), key) == keys.end())
            throw Error("\"" + key + "\" is an invalid volume filter");
        if (equals == std::string::npos) throw Error("invalid filter \"" + text + "\": expected KEY=VALUE");
        std::string value = text.substr(equals + 1);
        if (key == "dangling") parse_truth(value);
        filter.terms[key].push_back(value);
    }
    return filter;
}

bool volume_matches(const VolumeFilter& filter, const VolumeRecord& volume, const std::function<bool()>& in_use) {
    for (const auto& [key, values] : filter.terms) {
        auto all = [&](const std::function<bool(const std::string&)>& test) {
            return std::all_of(values.begin(), values.end(), test);
        };
        bool passes = false;
        if (key == "name")
            passes = all([&](const std::string& value) { return name_matches(value, volume.name); });
        else if (key == "label")
            passes = all([&](const std::string& value) { return label_matches(value, volume.labels); });
        else if (key == "driver")
            passes = all([&](const std::string& value) { return value == volume.driver; });
        else if (key == "dangling")
            passes = all([&](const std::string& value) { return parse_truth(value) == !in_use(); });
        if (!passes) return false;
    }
    return true;
}

}  // namespace berth::volumes
