#include "engine/host_info.hpp"

#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>

#include "common/files.hpp"
#include "common/os_release.hpp"
#include "common/platform.hpp"
#include "common/strings.hpp"
#include "common/version.hpp"
#include "engine/image_commands.hpp"
#include "netns/network_helpers.hpp"
#include "rootless/id_map_helpers.hpp"
#include "rootless/subordinate_ids.hpp"
#include "runtime/cgroups.hpp"
#include "storage/container_store.hpp"
#include "storage/overlay_probe.hpp"
#include "storage/storage_paths.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

json ranges_json(const std::vector<rootless::IdRange>& ranges) {
    json list = json::array();
    for (const auto& range : ranges) list.push_back({{"start", range.start}, {"count", range.count}});
    return list;
}

json mappings_json(const std::vector<rootless::IdMapping>& mappings) {
    json list = json::array();
    for (const auto& mapping : mappings)
        list.push_back({{"container_id", mapping.container_id}, {"host_id", mapping.host_id}, {"size", mapping.size}});
    return list;
}

json helper_json(const rootless::IdMapHelper& helper) {
    return {{"path", helper.path.value_or("")}, {"usable", helper.usable}, {"problem", helper.problem}};
}

json id_mappings_json(const rootless::UserIds& user, bool rootless) {
    if (!rootless) return {{"uidmap", json::array()}, {"gidmap", json::array()}};
    return {{"uidmap", mappings_json(rootless::rootless_id_mappings(user.uid, user.subuids))},
            {"gidmap", mappings_json(rootless::rootless_id_mappings(user.gid, user.subgids))}};
}

json subordinate_ids_json(const rootless::UserIds& user, bool rootless) {
    json report = {{"user", user.name},
                   {"uid", user.uid},
                   {"gid", user.gid},
                   {"subuidFile", user.subuid_file},
                   {"subgidFile", user.subgid_file},
                   {"uidRanges", ranges_json(user.subuids)},
                   {"gidRanges", ranges_json(user.subgids)}};
    if (rootless && (user.subuids.empty() || user.subgids.empty()))
        report["note"] = "no subordinate ids for " + user.name + " in " +
                         (user.subuids.empty() ? user.subuid_file : user.subgid_file) +
                         ": containers get a single-id mapping (your own id as root); add a range with "
                         "usermod --add-subuids 100000-165535 --add-subgids 100000-165535 " +
                         user.name;
    return report;
}

void add_cgroup_facts(json& host, const runtime::CgroupReport& cgroups) {
    host["cgroupManager"] = "cgroupfs";
    host["cgroupVersion"] = cgroups.version;
    host["cgroupHybrid"] = cgroups.hybrid;
    host["cgroupControllers"] = cgroups.controllers;
    host["cgroupLimits"] = {{"available", cgroups.limits_available}, {"note", cgroups.limits_note}};
}

json network_json() {
    auto helpers = netns::find_network_helpers();
    json found = json::object();
    for (const auto& helper : helpers) found[helper.name] = helper.path.value_or("");
    auto chosen = netns::default_network_helper(helpers);
    return {{"rootlessNetworkCmd", chosen ? chosen->name : ""}, {"helpers", found}};
}

// The storage.conf berth reads (Podman's search order); empty when there is none.
std::string storage_config_file() {
    if (::geteuid() != 0) {
        const char* config_home = std::getenv("XDG_CONFIG_HOME");
        const char* home = std::getenv("HOME");
        std::string user_file = config_home && *config_home ? std::string(config_home) + "/containers/storage.conf"
                                : home && *home             ? std::string(home) + "/.config/containers/storage.conf"
                                                            : std::string();
        if (!user_file.empty() && ::access(user_file.c_str(), R_OK) == 0) return user_file;
    }
    for (const char* path : {"/etc/containers/storage.conf", "/usr/share/containers/storage.conf"})
        if (::access(path, R_OK) == 0) return path;
    return "";
}

// A count of stored things, 0 when the store cannot be read yet (a new graph root).
size_t count_or_zero(const std::function<size_t()>& count) {
    try {
        return count();
    } catch (const std::exception&) {
        return 0;
    }
}

// The executor runs inside berth itself: no separate runtime binary as Podman's runc or crun.
json oci_runtime_json() {
    std::string self;
    try {
        self = std::filesystem::read_symlink("/proc/self/exe").string();
    } catch (const std::filesystem::filesystem_error&) {
    }
    return {
        {"name", "berth"}, {"path", self}, {"package", ""}, {"version", std::string("berth version ") + berth_version}};
}

json distribution_json() {
    auto distribution = host_distribution();
    json report = {{"distribution", distribution.distribution},
                   {"version", distribution.version},
                   {"codename", distribution.codename}};
    if (!distribution.variant.empty()) report["variant"] = distribution.variant;
    return report;
}

json store_json(const InfoRequest& request, bool rootless) {
    auto paths =
        storage::default_storage_paths(storage::PathEnvironment::from_process(), request.root, request.runroot);
    storage::DriverProbes probes;
    if (!request.storage_driver) {
        make_directories(paths.graph_root, 0700);
        probes.overlay_problem = storage::overlay_mount_problem(paths.graph_root, rootless);
        if (!probes.overlay_problem.empty()) probes.fuse_overlayfs_problem = storage::fuse_overlayfs_problem();
    }
    auto choice = storage::choose_rootfs_driver(probes, rootless, request.storage_driver);
    json store = {
        {"graphDriverName", storage::driver_name(choice.driver)},
        {"graphDriverReason", choice.reason},
        {"graphDriverRejected", choice.rejected},
        {"graphRoot", paths.graph_root},
        {"runRoot", paths.run_root},
        {"volumePath", paths.graph_root + "/volumes"},
        {"configFile", storage_config_file()},
        {"graphOptions", json::object()},
        {"imageStore", {{"number", count_or_zero([&] { return list_images(paths.graph_root).size(); })}}},
        {"containerStore",
         {{"number", count_or_zero([&] { return storage::ContainerStore(paths.graph_root).list().size(); })}}}};
    if (!paths.run_root_note.empty()) store["runRootNote"] = paths.run_root_note + ", using " + paths.run_root;
    return store;
}

json machine_json() {
    utsname names{};
    ::uname(&names);
    struct sysinfo memory {};
    ::sysinfo(&memory);
    auto platform = host_platform();
    return {{"arch", platform.architecture},
            {"os", platform.os},
            {"kernel", names.release},
            {"hostname", names.nodename},
            {"cpus", ::sysconf(_SC_NPROCESSORS_ONLN)},
            {"memTotal", static_cast<uint64_t>(memory.totalram) * memory.mem_unit}};
}

}  // namespace

json collect_host_info(const InfoRequest& request) {
    const bool rootless = ::geteuid() != 0;
    auto user = rootless::current_user_ids();
    json host = machine_json();
    add_cgroup_facts(host, runtime::detect_cgroups(rootless));
    host["idMappings"] = id_mappings_json(user, rootless);
    host["subordinateIds"] = subordinate_ids_json(user, rootless);
    host["idMapHelpers"] = {{"newuidmap", helper_json(rootless::check_id_map_helper("newuidmap"))},
                            {"newgidmap", helper_json(rootless::check_id_map_helper("newgidmap"))}};
    host["network"] = network_json();
    host["security"] = {{"rootless", rootless}};
    host["distribution"] = distribution_json();
    host["ociRuntime"] = oci_runtime_json();
    host["logDriver"] = "k8s-file";  // container logs are in Podman's k8s-file format
    host["eventLogger"] = "none";    // berth records no events
    host["networkBackend"] = "cni";  // root bridges are made with the CNI plugins
    auto platform = host_platform();
    json version = {{"Version", berth_version},
                    {"GitCommit", berth_git_commit},
                    {"OsArch", platform.os + "/" + platform.architecture}};
    return {{"host", host}, {"store", store_json(request, rootless)}, {"version", version}};
}

}  // namespace berth::engine
