#include "runtime/default_spec.hpp"

#include "common/version.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/spec_defaults.hpp"

namespace berth::runtime {

using nlohmann::json;

json default_spec(bool rootless, uid_t uid, gid_t gid) {
    json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"};
    json devpts_options = {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"};
    if (!rootless) devpts_options.push_back("gid=5");
    json sys_mount = rootless ? json{{"destination", "/sys"},
                                     {"type", "none"},
                                     {"source", "/sys"},
                                     {"options", {"rbind", "nosuid", "noexec", "nodev", "ro"}}}
                              : json{{"destination", "/sys"},
                                     {"type", "sysfs"},
                                     {"source", "sysfs"},
                                     {"options", {"nosuid", "noexec", "nodev", "ro"}}};
    json mounts = json::array({
        {{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
        {{"destination", "/dev"},
         {"type", "tmpfs"},
         {"source", "tmpfs"},
         {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
        {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"}, {"options", devpts_options}},
        {{"destination", "/dev/shm"},
         {"type", "tmpfs"},
         {"source", "shm"},
         {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
        {{"destination", "/dev/mqueue"},
         {"type", "mqueue"},
         {"source", "mqueue"},
         {"options", {"nosuid", "noexec", "nodev"}}},
        sys_mount,
        {{"destination", "/sys/fs/cgroup"},
         {"type", "cgroup"},
         {"source", "cgroup"},
         {"options", {"nosuid", "noexec", "nodev", "relatime", "ro"}}},
    });
    json namespaces = json::array({{{"type", "pid"}}});
    if (!rootless) namespaces.push_back({{"type", "network"}});
    for (const char* type : {"ipc", "uts", "mount"}) namespaces.push_back({{"type", type}});
    json linux_section = {
        {"namespaces", namespaces},
        {"maskedPaths",
         {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
          "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
        {"readonlyPaths", {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}},
    };
    if (rootless) {
        linux_section["namespaces"].push_back({{"type", "user"}});
        linux_section["uidMappings"] = json::array({{{"containerID", 0}, {"hostID", uid}, {"size", 1}}});
        linux_section["gidMappings"] = json::array({{{"containerID", 0}, {"hostID", gid}, {"size", 1}}});
    } else {
        linux_section["resources"] = {{"devices", json::array({{{"allow", false}, {"access", "rwm"}}})}};
    }
    return {
        {"ociVersion", oci_version},
        {"process",
         {{"terminal", true},
          {"user", {{"uid", 0}, {"gid", 0}}},
          {"args", {"sh"}},
          {"env", {std::string("PATH=") + default_path_env, "TERM=xterm"}},
          {"cwd", "/"},
          {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}, {"ambient", caps}}},
          {"rlimits", json::array({{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}})},
          {"noNewPrivileges", true}}},
        {"root", {{"path", "rootfs"}, {"readonly", true}}},
        {"hostname", "berth-runtime"},
        {"mounts", mounts},
        {"linux", linux_section},
    };
}

json features_document() {
    json capabilities = json::array();
    for (int cap = 0; cap <= last_capability(); ++cap) capabilities.push_back(capability_name(cap));
    return {
        {"ociVersionMin", "1.0.0"},
        {"ociVersionMax", oci_version},
        {"hooks", {"prestart", "createRuntime", "poststart", "poststop"}},
        {"mountOptions", {"async",      "atime",         "bind",    "defaults", "dev",         "diratime", "dirsync",
                          "exec",       "mand",          "noatime", "nodev",    "nodiratime",  "noexec",   "nomand",
                          "norelatime", "nostrictatime", "nosuid",  "private",  "rbind",       "relatime", "remount",
                          "ro",         "rprivate",      "rshared", "rslave",   "runbindable", "rw",       "shared",
                          "slave",      "strictatime",   "suid",    "sync",     "unbindable"}},
        {"linux",
         {{"namespaces", {"cgroup", "ipc", "mount", "network", "pid", "user", "uts"}},
          {"capabilities", capabilities},
          {"cgroup", {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}}},
          {"seccomp",
           {{"enabled", true},
            {"actions",
             {"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
              "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP"}},
            {"operators",
             {"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
              "SCMP_CMP_NE"}}}},
          {"apparmor", {{"enabled", false}}},
          {"selinux", {{"enabled", false}}}}},
        {"annotations", {{"io.berth.runtime.version", berth_version}}},
    };
}

}  // namespace berth::runtime
