// A container's resource limits (linux.resources: memory, pids, cpu) applied through cgroups: v1 hierarchies
// (one per controller) or the v2 unified tree. The executor creates the container's cgroups before clone(2),
// moves the child into them before letting it go, and removes them once the container has exited.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::runtime {

// What linux.resources asks for (the fields berth applies).
struct ResourceLimits {
    std::optional<std::int64_t> memory;       // memory.limit, bytes; -1 unlimited
    std::optional<std::int64_t> memory_swap;  // memory.swap: memory plus swap, bytes; -1 unlimited
    std::optional<std::int64_t> pids;         // pids.limit; 0 or less unlimited
    std::optional<std::int64_t> cpu_quota;    // cpu.quota, microseconds per period; -1 unlimited
    std::optional<std::uint64_t> cpu_period;  // cpu.period, microseconds

    bool empty() const { return controllers().empty(); }
    // The controllers the limits need: "memory", "pids", "cpu", in that order.
    std::vector<std::string> controllers() const;
    // "memory, pids" (for messages).
    std::string names() const;
};

// linux.resources of config.json's linux section; throws Error naming a field that is not a number.
ResourceLimits parse_resource_limits(const nlohmann::json& linux_section);

// One control file to write: `file` in the cgroup of `controller`'s hierarchy (v2: the one cgroup).
struct CgroupWrite {
    std::string controller;
    std::string file;
    std::string value;
    bool optional = false;  // skipped when the file does not exist (swap accounting)
};

// The writes for cgroup v1, in order: memory.limit_in_bytes, memory.memsw.limit_in_bytes (memory plus swap: the
// limit itself unless memory.swap says more, so swap cannot dodge the limit), pids.max, cpu.cfs_period_us,
// cpu.cfs_quota_us.
std::vector<CgroupWrite> v1_limit_writes(const ResourceLimits& limits);

// The writes for cgroup v2, in order: memory.max, memory.swap.max (0 unless memory.swap allows some), pids.max,
// cpu.max ("QUOTA PERIOD").
std::vector<CgroupWrite> v2_limit_writes(const ResourceLimits& limits);

// Where the host's cgroups are, and the caller's own cgroup in each.
struct CgroupHost {
    bool unified = false;  // cgroup v2 only (else v1, possibly beside an empty v2 tree)
    // v2: the mount point and the caller's cgroup directory below it.
    std::string v2_mount;
    std::string v2_own;  // absolute directory
    // v1: per controller, its hierarchy's mount point and the caller's cgroup directory in it.
    struct Hierarchy {
        std::string mount;
        std::string own;  // absolute directory
    };
    std::map<std::string, Hierarchy> v1;
};

// Reads /proc/self/mountinfo and /proc/self/cgroup; `cgroup_root` ("/sys/fs/cgroup") decides v1 or v2.
CgroupHost detect_cgroup_host(const std::string& cgroup_root = "/sys/fs/cgroup");

// CgroupHost from the texts of /proc/self/mountinfo and /proc/self/cgroup (for tests).
CgroupHost parse_cgroup_host(bool unified, std::string_view mountinfo, std::string_view proc_self_cgroup);

// The container's cgroup directory in a hierarchy: an absolute linux.cgroupsPath below the mount point, a
// relative one below the caller's own cgroup (as runc does), "" (none given) as `default_name` below it.
std::string container_cgroup_directory(const std::string& mount, const std::string& own,
                                       const std::string& cgroups_path, const std::string& default_name);

// The container's cgroups with its limits written: created by the constructor, removed (with any process
// left in them killed) by the destructor. A default-constructed object holds none.
class CgroupLimits {
public:
    CgroupLimits() = default;
    // Creates the cgroups (v2: enabling the controllers on the way down) and writes the limits. Throws Error
    // ("set up cgroups: create /sys/fs/cgroup/pids/x: Permission denied").
    CgroupLimits(const ResourceLimits& limits, const CgroupHost& host, const std::string& cgroups_path,
                 const std::string& default_name);
    CgroupLimits(const CgroupLimits&) = delete;
    CgroupLimits& operator=(const CgroupLimits&) = delete;
    CgroupLimits(CgroupLimits&& other) noexcept;
    CgroupLimits& operator=(CgroupLimits&& other) noexcept;
    ~CgroupLimits();

    // Moves a process into every cgroup (cgroup.procs). Throws Error.
    void add_process(pid_t pid) const;
    // The container's cgroup directories (one per hierarchy).
    const std::vector<std::string>& directories() const { return directories_; }
    // Keeps the cgroups beyond this object (a created container's, removed by delete): the directories it
    // made, parents first, for remove_cgroups().
    std::vector<std::string> release();

private:
    void remove() noexcept;

    std::vector<std::string> directories_;
    std::vector<std::string> created_;  // directories this object made, parents before children
};

// Removes cgroup directories made for a container (children first), killing what is left in the container's own
// `directories`; shared parents still in use stay. Never throws (a warning for what cannot be removed).
void remove_cgroups(const std::vector<std::string>& created, const std::vector<std::string>& directories) noexcept;

// The executor's entry: no cgroups for no limits; as root the limits or an Error; as an unprivileged user the
// limits where the cgroup is delegated, else one warning ("resource limits ignored: <why>") and none.
CgroupLimits apply_resource_limits(const ResourceLimits& limits, const std::string& cgroups_path,
                                   const std::string& default_name, bool host_root);

}  // namespace berth::runtime
