#include "networks/network_filter.hpp"

#include <time.h>

#include <algorithm>
#include <regex>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace berth::networks {
namespace {

bool label_matches(const Network& network, const std::string& term) {
    auto equals = term.find('=');
    std::string key = term.substr(0, equals);
    auto found = network.labels.find(key);
    if (found == network.labels.end()) return false;
    return equals == std::string::npos || found->second == term.substr(equals + 1);
}

// Seconds since the epoch of "2026-12-06T21:12:50.98001042Z" (fraction and zone ignored but Z), or of digits.
std::optional<long long> parse_time(const std::string& text) {
    if (auto seconds = parse_unsigned(text)) return static_cast<long long>(*seconds);
    tm parts{};
    const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &parts);
    if (end == nullptr) end = ::strptime(text.c_str(), "%Y-%m-%d", &parts);
    if (end == nullptr) return std::nullopt;
    return static_cast<long long>(::timegm(&parts));
}

bool created_before(const Network& network, const std::string& until) {
    auto limit = parse_time(until);
    if (!limit) throw Error("invalid until filter \"" + until + "\"");
    auto created = parse_time(network.created);
    return created && *created < *limit;
}

bool term_matches(const std::string& key, const std::string& value, const Network& network,
                  const std::function<bool()>& in_use) {
    if (key == "name") {
        try {
            return std::regex_search(network.name, std::regex(value));
        } catch (const std::regex_error&) {
            throw Error("invalid name filter \"" + value + "\": not a regular expression");
        }
    }
    if (key == "id") return network.id.compare(0, value.size(), value) == 0;
    if (key == "label") return label_matches(network, value);
    if (key == "label!") return !label_matches(network, value);
    if (key == "driver") return network.driver == value;
    if (key == "until") return created_before(network, value);
    if (key == "dangling") {
        if (value != "true" && value != "false") throw Error("invalid dangling filter value \"" + value + "\"");
        return in_use() != (value == "true");
    }
    return false;
}

}  // namespace

NetworkFilter parse_network_filter(const std::vector<std::string>& given, const std::vector<std::string>& keys) {
    NetworkFilter filter;
    for (const auto& term : given) {
        auto equals = term.find('=');
        std::string key = term.substr(0, equals);
        if (std::find(keys.begin(), keys.end(), key) == keys.end() || equals == std::string::npos)
            throw Error("invalid filter \"" + key + "\"");
        filter.terms[key].push_back(term.substr(equals + 1));
    }
    return filter;
}

bool network_matches(const NetworkFilter& filter, const Network& network, const std::function<bool()>& in_use) {
    for (const auto& [key, values] : filter.terms) {
        bool any = std::any_of(values.begin(), values.end(),
                               [&](const std::string& value) { return term_matches(key, value, network, in_use); });
        // label!= terms must all hold.
        if (key == "label!")
            any = std::all_of(values.begin(), values.end(),
                              [&](const std::string& value) { return term_matches(key, value, network, in_use); });
        if (!any) return false;
    }
    return true;
}

}  // namespace berth::networks
