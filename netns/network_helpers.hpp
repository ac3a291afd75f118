// The user-mode network helpers of rootless containers: pasta and slirp4netns.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::netns {

struct NetworkHelper {
    std::string name;                 // "pasta" or "slirp4netns"
    std::optional<std::string> path;  // where it was found in $PATH
};

// Both helpers in berth's order of preference (pasta first: faster, and it keeps source addresses).
std::vector<NetworkHelper> find_network_helpers();

// The default rootless network mode: the first helper found, or nothing when neither is installed.
std::optional<NetworkHelper> default_network_helper(const std::vector<NetworkHelper>& helpers);

}  // namespace berth::netns
