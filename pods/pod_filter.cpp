#include "pods/pod_filter.hpp"

#include <algorithm>
#include <regex>

#include "common/error.hpp"

namespace berth::pods {
namespace {

constexpr const char* filter_keys[] = {"name", "id", "label", "status", "ctr-names", "ctr-ids", "ctr-number"};
constexpr const char* statuses[] = {"created", "running", "paused", "exited", "dead", "stopped", "degraded"};

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

bool name_matches(const std::string& pattern, const std::string& name) {
    try {
        return std::regex_search(name, std::regex(pattern));
    } catch (const std::regex_error&) {
        return name == pattern;
    }
}

bool label_matches(const std::string& term, const std::map<std::string, std::string>& labels) {
    auto equals = term.find('=');
    auto found = labels.find(term.substr(0, equals));
    if (found == labels.end()) return false;
    return equals == std::string::npos || found->second == term.substr(equals + 1);
}

bool any_of(const std::vector<std::string>& values, const std::function<bool(const std::string&)>& test) {
    return std::any_of(values.begin(), values.end(), test);
}

bool key_matches(const std::string& key, const std::vector<std::string>& values, const PodRecord& pod,
                 const PodFacts& facts) {
    if (key == "name") return any_of(values, [&](const std::string& value) { return name_matches(value, pod.name); });
    if (key == "id") return any_of(values, [&](const std::string& value) { return pod.id.starts_with(value); });
    if (key == "label")
        return std::all_of(values.begin(), values.end(),
                           [&](const std::string& value) { return label_matches(value, pod.labels); });
    if (key == "status")
        return any_of(values, [&](const std::string& value) { return lower(value) == lower(facts.status); });
    if (key == "ctr-names")
        return any_of(values, [&](const std::string& value) {
            return any_of(facts.container_names, [&](const std::string& name) { return name_matches(value, name); });
        });
    if (key == "ctr-ids")
        return any_of(values, [&](const std::string& value) {
            return any_of(facts.container_ids, [&](const std::string& id) { return id.starts_with(value); });
        });
    if (key == "ctr-number")
        return any_of(values,
                      [&](const std::string& value) { return value == std::to_string(facts.container_ids.size()); });
    return false;
}

}  // namespace

PodFilter parse_pod_filter(const std::vector<std::string>& given) {
    PodFilter filter;
    for (const auto& term : given) {
        auto equals = term.find('=');
        std::string key = term.substr(0, equals);
        if (equals == std::string::npos ||
            std::find(std::begin(filter_keys), std::end(filter_keys), key) == std::end(filter_keys))
            throw Error(key + " is an invalid filter");
        std::string value = term.substr(equals + 1);
        if (key == "status" && std::find(std::begin(statuses), std::end(statuses), lower(value)) == std::end(statuses))
            throw Error(value + " is not a valid status");
        filter.terms[key].push_back(value);
    }
    return filter;
}

bool pod_matches(const PodFilter& filter, const PodRecord& pod, const PodFacts& facts) {
    for (const auto& [key, values] : filter.terms)
        if (!key_matches(key, values, pod, facts)) return false;
    return true;
}

}  // namespace berth::pods
