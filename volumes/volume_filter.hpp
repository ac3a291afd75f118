// volume ls --filter and volume prune --filter, as Podman reads them: every term must hold.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "volumes/volume_record.hpp"

namespace berth::volumes {

struct VolumeFilter {
    std::map<std::string, std::vector<std::string>> terms;  // key -> values: name, label, dangling, driver
    bool empty() const { return terms.empty(); }
};

// Parses KEY=VALUE terms; `keys` are the ones allowed (ls: name, label, dangling, driver; prune: label).
// Podman's Error for another key: "\"KEY\" is an invalid volume filter".
VolumeFilter parse_volume_filter(const std::vector<std::string>& given, const std::vector<std::string>& keys);

// Whether the volume passes; `in_use` tells whether containers use it (for dangling=).
// name= is a regular expression searched in the name; label=KEY or label=KEY=VALUE; dangling=true|false.
bool volume_matches(const VolumeFilter& filter, const VolumeRecord& volume, const std::function<bool()>& in_use);

}  // namespace berth::volumes
