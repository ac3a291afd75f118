// What the host's cgroups are, and whether berth can apply resource limits through them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::runtime {

struct CgroupReport {
    std::string version;  // "v1" or "v2"
    bool hybrid = false;  // v1 controllers with an (empty) v2 tree beside them
    std::vector<std::string> controllers;
    bool limits_available = false;
    std::string limits_note;  // why limits can or cannot be applied
};

// Controllers that are enabled and attached to a v1 hierarchy, from the text of /proc/cgroups.
std::vector<std::string> parse_v1_controllers(std::string_view proc_cgroups);

// The process's v2 cgroup path ("/user.slice/..."), from the text of /proc/self/cgroup; empty if none.
std::string parse_v2_cgroup_path(std::string_view proc_self_cgroup);

// Inspects /sys/fs/cgroup and /proc for the calling process.
CgroupReport detect_cgroups(bool rootless);

}  // namespace berth::runtime
