#include "netns/network_helpers.hpp"

#include "common/files.hpp"

namespace berth::netns {

std::vector<NetworkHelper> find_network_helpers() {
    std::vector<NetworkHelper> helpers;
    for (std::string_view name : {"pasta", "slirp4netns"}) helpers.push_back({std::string(name), find_in_path(name)});
    return helpers;
}

std::optional<NetworkHelper> default_network_helper(const std::vector<NetworkHelper>& helpers) {
    for (const auto& helper : helpers)
        if (helper.path) return helper;
    return std::nullopt;
}

}  // namespace berth::netns
