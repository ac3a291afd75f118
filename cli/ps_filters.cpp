#include "cli/ps_filters.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <regex>

#include "common/error.hpp"
#include "engine/image_commands.hpp"

namespace berth::cli {
namespace {

using storage::ContainerRecord;
using storage::ContainerState;

const std::vector<std::string> keys = {"id", "name", "label", "status", "exited", "ancestor", "before", "since", "pod"};
const std::vector<std::string> states = {"created", "running", "paused", "stopped", "exited", "unknown"};

bool label_matches(const ContainerRecord& record, const std::string& value) {
    auto equals = value.find('=');
    auto found = record.labels.find(value.substr(0, equals));
    if (found == record.labels.end()) return false;
    return equals == std::string::npos || found->second == value.substr(equals + 1);
}

bool name_matches(const ContainerRecord& record, const std::string& pattern) {
    try {
        return std::regex_search(record.name, std::regex(pattern));
    } catch (const std::regex_error&) {
        return record.name.find(pattern) != std::string::npos;
    }
}

bool image_matches(const ContainerRecord& record, const std::string& value) {
    if (record.image_id == value || record.image_id.substr(7).starts_with(value)) return true;
    std::string normalized;
    try {
        normalized = engine::normalized_image_name(value);
    } catch (const Error&) {
    }
    return record.image_name == value || record.image_name == normalized ||
           ::fnmatch(value.c_str(), record.image_name.c_str(), 0) == 0;
}

bool state_matches(const ContainerRecord& record, const std::string& value) {
    std::string state = storage::state_name(record.state);
    return state == value || (value == "stopped" && record.state == ContainerState::exited);
}

// The container a before= or since= value names (by id prefix or name).
const ContainerRecord& reference(const std::string& value, const std::vector<ContainerRecord>& all) {
    for (const auto& record : all)
        if (record.name == value || record.id == value) return record;
    for (const auto& record : all)
        if (record.id.starts_with(value)) return record;
    throw Error("no such container " + value);
}

bool matches(const std::string& key, const std::string& value, const ContainerRecord& record,
             const std::vector<ContainerRecord>& all) {
    if (key == "id") return record.id.starts_with(value);
    if (key == "name") return name_matches(record, value);
    if (key == "label") return label_matches(record, value);
    if (key == "status") return state_matches(record, value);
    if (key == "exited") return record.state == ContainerState::exited && std::to_string(record.exit_code) == value;
    if (key == "ancestor") return image_matches(record, value);
    if (key == "before") return record.created_ns < reference(value, all).created_ns;
    if (key == "since") return record.created_ns > reference(value, all).created_ns;
    if (key == "pod") return !record.pod.empty() && !value.empty() && record.pod.starts_with(value);
    return false;
}

}  // namespace

PsFilter parse_ps_filters(const std::vector<std::string>& filters) {
    PsFilter filter;
    for (const auto& text : filters) {
        auto equals = text.find('=');
        if (equals == std::string::npos) throw Error("invalid filter \"" + text + "\"");
        std::string key = text.substr(0, equals), value = text.substr(equals + 1);
        if (std::find(keys.begin(), keys.end(), key) == keys.end()) throw Error(key + " is an invalid filter");
        if (key == "status" && std::find(states.begin(), states.end(), value) == states.end())
            throw Error("unknown container state: " + value + ": invalid argument");
        filter.values[key].push_back(value);
    }
    return filter;
}

bool ps_filter_matches(const PsFilter& filter, const ContainerRecord& record, const std::vector<ContainerRecord>& all) {
    for (const auto& [key, values] : filter.values) {
        auto test = [&](const std::string& value) { return matches(key, value, record, all); };
        bool passed = key == "label" ? std::all_of(values.begin(), values.end(), test)
                                     : std::any_of(values.begin(), values.end(), test);
        if (!passed) return false;
    }
    return true;
}

}  // namespace berth::cli
