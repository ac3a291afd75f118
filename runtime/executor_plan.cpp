// From config.json to the executor's plan (see executor_plan.hpp): parsing and checking happen here, in the
// parent, with errors that name the field.
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "runtime/executor_plan.hpp"
#include "runtime/spec_defaults.hpp"

namespace berth::runtime {
namespace {

struct FlagOption {
    const char* name;
    bool clear;
    unsigned long flag;
};

constexpr FlagOption flag_options[] = {
    {"ro", false, MS_RDONLY},
    {"rw", true, MS_RDONLY},
    {"nosuid", false, MS_NOSUID},
    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},
    {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},
    {"exec", true, MS_NOEXEC},
    {"sync", false, MS_SYNCHRONOUS},
    {"async", true, MS_SYNCHRONOUS},
    {"dirsync", false, MS_DIRSYNC},
    {"remount", false, MS_REMOUNT},
    {"mand", false, MS_MANDLOCK},
    {"nomand", true, MS_MANDLOCK},
    {"atime", true, MS_NOATIME},
    {"noatime", false, MS_NOATIME},
    {"diratime", true, MS_NODIRATIME},
    {"nodiratime", false, MS_NODIRATIME},
    {"relatime", false, MS_RELATIME},
    {"norelatime", true, MS_RELATIME},
    {"strictatime", false, MS_STRICTATIME},
    {"nostrictatime", true, MS_STRICTATIME},
    {"bind", false, MS_BIND},
    {"rbind", false, MS_BIND | MS_REC},
};

constexpr FlagOption propagation_options[] = {
    {"private", false, MS_PRIVATE},       {"rprivate", false, MS_PRIVATE | MS_REC},
    {"shared", false, MS_SHARED},         {"rshared", false, MS_SHARED | MS_REC},
    {"slave", false, MS_SLAVE},           {"rslave", false, MS_SLAVE | MS_REC},
    {"unbindable", false, MS_UNBINDABLE}, {"runbindable", false, MS_UNBINDABLE | MS_REC},
};

std::string string_field(const nlohmann::json& object, const char* key, const std::string& where) {
    auto found = object.find(key);
    if (found == object.end() || found->is_null()) return {};
    if (!found->is_string()) throw Error("config.json: " + where + "." + key + ": not a string");
    return found->get<std::string>();
}

const nlohmann::json& object_field(const nlohmann::json& object, const char* key) {
    static const nlohmann::json empty = nlohmann::json::object();
    auto found = object.find(key);
    if (found == object.end() || !found->is_object()) return empty;
    return *found;
}

std::vector<std::string> string_list(const nlohmann::json& object, const char* key, const std::string& where) {
    std::vector<std::string> out;
    auto found = object.find(key);
    if (found == object.end() || found->is_null()) return out;
    if (!found->is_array()) throw Error("config.json: " + where + "." + key + ": not an array");
    for (const auto& item : *found) {
        if (!item.is_string()) throw Error("config.json: " + where + "." + key + ": not an array of strings");
        out.push_back(item.get<std::string>());
    }
    return out;
}

void require_absolute(const std::string& path, const std::string& what) {
    if (path.empty() || path[0] != '/') throw Error("config.json: " + what + " \"" + path + "\": not an absolute path");
}

// Namespaces: CLONE_NEW* flags for new ones; those with a path go to `joined` instead (the user namespace first,
// as it grants the right to join the others).
int namespace_flags(const nlohmann::json& linux_section, bool& user_namespace, std::vector<JoinedNamespace>& joined) {
    static const std::map<std::string, int> flags = {
        {"pid", CLONE_NEWPID}, {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},      {"ipc", CLONE_NEWIPC},
        {"uts", CLONE_NEWUTS}, {"user", CLONE_NEWUSER},   {"cgroup", CLONE_NEWCGROUP},
    };
    int result = 0;
    auto found = linux_section.find("namespaces");
    if (found == linux_section.end() || found->is_null()) return 0;
    if (!found->is_array()) throw Error("config.json: linux.namespaces: not an array");
    for (const auto& entry : *found) {
        std::string type = entry.is_object() ? string_field(entry, "type", "linux.namespaces[]") : "";
        auto flag = flags.find(type);
        if (flag == flags.end()) throw Error("config.json: linux.namespaces: unknown namespace type \"" + type + "\"");
        if (result & flag->second) throw Error("config.json: linux.namespaces: " + type + " given twice");
        if (std::string path = string_field(entry, "path", "linux.namespaces[]"); !path.empty()) {
            if (path.front() != '/') throw Error("config.json: linux.namespaces: " + type + " path is not absolute");
            if (flag->second == CLONE_NEWUSER)
                joined.insert(joined.begin(), {path, flag->second});
            else
                joined.push_back({path, flag->second});
        }
        result |= flag->second;
    }
    user_namespace = (result & CLONE_NEWUSER) != 0;
    return result;
}

std::vector<rootless::IdMapping> id_mappings(const nlohmann::json& linux_section, const char* key) {
    std::vector<rootless::IdMapping> out;
    auto found = linux_section.find(key);
    if (found == linux_section.end() || found->is_null()) return out;
    if (!found->is_array()) throw Error(std::string("config.json: linux.") + key + ": not an array");
    for (const auto& entry : *found) {
        try {
            out.push_back({entry.at("containerID").get<uint64_t>(), entry.at("hostID").get<uint64_t>(),
                           entry.at("size").get<uint64_t>()});
        } catch (const nlohmann::json::exception&) {
            throw Error(std::string("config.json: linux.") + key + ": expected containerID, hostID and size numbers");
        }
    }
    return out;
}

int rlimit_resource(const std::string& name) {
    static const std::map<std::string, int> resources = {
        {"RLIMIT_AS", RLIMIT_AS},
        {"RLIMIT_CORE", RLIMIT_CORE},
        {"RLIMIT_CPU", RLIMIT_CPU},
        {"RLIMIT_DATA", RLIMIT_DATA},
        {"RLIMIT_FSIZE", RLIMIT_FSIZE},
        {"RLIMIT_LOCKS", RLIMIT_LOCKS},
        {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
        {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
        {"RLIMIT_NICE", RLIMIT_NICE},
        {"RLIMIT_NOFILE", RLIMIT_NOFILE},
        {"RLIMIT_NPROC", RLIMIT_NPROC},
        {"RLIMIT_RSS", RLIMIT_RSS},
        {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
        {"RLIMIT_RTTIME", RLIMIT_RTTIME},
        {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
        {"RLIMIT_STACK", RLIMIT_STACK},
    };
    auto found = resources.find(name);
    if (found == resources.end()) throw Error("config.json: process.rlimits: unknown resource \"" + name + "\"");
    return found->second;
}

CapabilitySet capability_list(const nlohmann::json& capabilities, const char* key) {
    CapabilitySet set;
    for (const auto& name : string_list(capabilities, key, "process.capabilities")) {
        if (auto cap = capability_from_name(name))
            set.add(*cap);
        else
            log_warning("config.json: process.capabilities." + std::string(key) + ": unknown capability " + name +
                        " ignored");
    }
    return set;
}

std::string rootfs_path(const nlohmann::json& spec, const std::string& bundle_dir) {
    std::string path = string_field(object_field(spec, "root"), "path", "root");
    if (path.empty()) throw Error("config.json: root.path: missing");
    if (path[0] != '/') {
        std::string base = bundle_dir.empty() ? "." : bundle_dir;
        path = base + "/" + path;
    }
    char resolved[PATH_MAX];
    if (!::realpath(path.c_str(), resolved)) throw_last_errno("rootfs " + path);
    struct stat info {};
    if (::stat(resolved, &info) != 0) throw_last_errno("rootfs " + path);
    if (!S_ISDIR(info.st_mode)) throw Error("rootfs " + path + ": not a directory");
    return resolved;
}

MountStep mount_step(const nlohmann::json& entry, const PlanContext& context, bool network_namespace) {
    if (!entry.is_object()) throw Error("config.json: mounts: not an object");
    MountStep step;
    step.destination = string_field(entry, "destination", "mounts[]");
    require_absolute(step.destination, "mount destination");
    step.type = string_field(entry, "type", "mounts[]");
    step.source = string_field(entry, "source", "mounts[]");
    auto options = parse_mount_options(string_list(entry, "options", "mounts[]"));
    step.bind = step.type == "bind" || (options.flags & MS_BIND) != 0;
    step.propagation = options.propagation;
    step.data = options.data;
    if (step.bind) {
        step.type.clear();
        if (step.source.empty() || step.source[0] != '/')
            throw Error("config.json: bind mount on " + step.destination + ": the source must be an absolute path");
        struct stat info {};
        if (::stat(step.source.c_str(), &info) != 0)
            throw_last_errno("bind mount source " + step.source + " for " + step.destination);
        step.file_destination = !S_ISDIR(info.st_mode);
        step.flags = MS_BIND | (options.flags & MS_REC);
        unsigned long wanted = options.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
        if (wanted != 0) {
            step.remount = true;
            // The flags the kernel locks cannot be cleared: keep them rather than fail with EPERM.
            unsigned long locked = locked_mount_flags(step.source.c_str());
            constexpr unsigned long atime_flags = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
            if (wanted & atime_flags) locked &= ~atime_flags;
            step.remount_flags = MS_BIND | MS_REMOUNT | wanted | locked;
        }
    } else {
        if (step.type.empty()) throw Error("config.json: mount on " + step.destination + ": no type");
        step.flags = options.flags & ~MS_REMOUNT;
        if (step.source.empty()) step.source = step.type;
    }
    if (step.type == "sysfs" && !context.host_root && !network_namespace) step.fallback = MountFallback::bind_sys;
    if (step.type == "cgroup" || step.type == "cgroup2") step.fallback = MountFallback::skip;
    return step;
}

void add_default_devices(ContainerPlan& plan, const nlohmann::json& linux_section) {
    struct Default {
        const char* path;
        unsigned major;
        unsigned minor;
    };
    static constexpr Default defaults[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
                                           {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0}};
    for (const auto& device : defaults) {
        DeviceStep step;
        step.path = device.path;
        step.host_path = device.path;
        step.mode = S_IFCHR | 0666;
        step.device = makedev(device.major, device.minor);
        plan.devices.push_back(step);
    }
    auto found = linux_section.find("devices");
    if (found == linux_section.end() || !found->is_array()) return;
    for (const auto& entry : *found) {
        DeviceStep step;
        step.path = string_field(entry, "path", "linux.devices[]");
        require_absolute(step.path, "linux.devices path");
        step.host_path = step.path;
        std::string type = string_field(entry, "type", "linux.devices[]");
        mode_t kind = type == "c" || type == "u" ? S_IFCHR : type == "b" ? S_IFBLK : type == "p" ? S_IFIFO : 0;
        if (kind == 0) throw Error("config.json: linux.devices " + step.path + ": unknown type \"" + type + "\"");
        mode_t mode = entry.contains("fileMode") ? entry["fileMode"].get<mode_t>() : 0666;
        step.mode = kind | (mode & 07777);
        step.device = makedev(entry.value("major", 0u), entry.value("minor", 0u));
        step.uid = entry.value("uid", 0u);
        step.gid = entry.value("gid", 0u);
        auto same = std::find_if(plan.devices.begin(), plan.devices.end(),
                                 [&](const DeviceStep& other) { return other.path == step.path; });
        if (same != plan.devices.end())
            *same = step;
        else
            plan.devices.push_back(step);
    }
}

void add_process(ContainerPlan& plan, const nlohmann::json& spec, const PlanContext& context) {
    const auto& process = object_field(spec, "process");
    if (process.empty()) throw Error("config.json: process: missing");
    plan.args = string_list(process, "args", "process");
    if (plan.args.empty()) throw Error("config.json: process.args: no command to run");
    plan.env = string_list(process, "env", "process");
    plan.search_path = default_path_env;
    for (const auto& variable : plan.env)
        if (variable.rfind("PATH=", 0) == 0) plan.search_path = variable.substr(5);
    plan.cwd = string_field(process, "cwd", "process");
    if (plan.cwd.empty()) plan.cwd = "/";
    require_absolute(plan.cwd, "process.cwd");
    plan.no_new_privileges = process.value("noNewPrivileges", false);
    if (auto found = process.find("terminal"); found != process.end() && !found->is_null()) {
        if (!found->is_boolean()) throw Error("config.json: process.terminal: not a boolean");
        plan.terminal = found->get<bool>();
    }
    if (auto found = process.find("consoleSize"); found != process.end() && found->is_object()) {
        winsize size{};
        try {
            size.ws_row = found->at("height").get<unsigned short>();
            size.ws_col = found->at("width").get<unsigned short>();
        } catch (const nlohmann::json::exception&) {
            throw Error("config.json: process.consoleSize: expected height and width numbers");
        }
        plan.console_size = size;
    }

    const auto& user = object_field(process, "user");
    plan.uid = user.value("uid", 0u);
    plan.gid = user.value("gid", 0u);
    if (user.contains("umask") && user["umask"].is_number()) plan.umask = user["umask"].get<mode_t>() & 0777;
    if (auto found = user.find("additionalGids"); found != user.end() && found->is_array())
        for (const auto& gid : *found) plan.additional_gids.push_back(gid.get<gid_t>());

    if (auto found = process.find("rlimits"); found != process.end() && found->is_array()) {
        for (const auto& entry : *found) {
            RlimitStep step;
            step.name = string_field(entry, "type", "process.rlimits[]");
            step.resource = rlimit_resource(step.name);
            step.limit.rlim_cur = entry.value("soft", uint64_t{0});
            step.limit.rlim_max = entry.value("hard", uint64_t{0});
            plan.rlimits.push_back(step);
        }
    }

    if (auto found = process.find("capabilities"); found != process.end() && found->is_object()) {
        ProcessCapabilities sets;
        sets.bounding = capability_list(*found, "bounding");
        sets.effective = capability_list(*found, "effective");
        sets.permitted = capability_list(*found, "permitted");
        sets.inheritable = capability_list(*found, "inheritable");
        sets.ambient = capability_list(*found, "ambient");
        plan.capabilities = prepare_capabilities(sets);
    }

    const auto& linux_section = object_field(spec, "linux");
    std::optional<seccomp::Profile> profile;
    if (auto found = linux_section.find("seccomp"); found != linux_section.end() && !found->is_null())
        profile = seccomp::profile_from_json(*found, "config.json linux.seccomp");
    else if (context.default_seccomp)
        profile = *context.default_seccomp;
    if (profile) {
        CapabilitySet caps = plan.capabilities ? plan.capabilities->sets.bounding : all_capabilities();
        plan.seccomp_program = context.seccomp_cache_dir.empty()
                                   ? seccomp::compile_filter(*profile, caps)
                                   : seccomp::compiled_filter(*profile, caps, context.seccomp_cache_dir);
        plan.seccomp_flags = seccomp::filter_flags(*profile);
    }
}

// The overlay's mount data. In a user namespace the overlay keeps its metadata in user.overlay.* xattrs
// (userxattr), where rootless unpacking wrote the opaque markers.
void set_overlay(ContainerPlan& plan, const OverlayRootfs& overlay) {
    if (overlay.lower.empty()) throw Error("overlay rootfs: no lower directory");
    std::string data = plan.user_namespace ? "userxattr," : "";
    data += "lowerdir=";
    for (std::size_t index = 0; index < overlay.lower.size(); ++index)
        data += (index ? ":" : "") + overlay.lower[index];
    data += ",upperdir=" + overlay.upper + ",workdir=" + overlay.work;
    if (data.size() >= 4096)
        throw Error("overlay rootfs: the mount data for " + std::to_string(overlay.lower.size()) +
                    " layers is longer than the kernel's limit of 4095 bytes");
    plan.overlay_base_dir = overlay.base_dir;
    plan.overlay_data = std::move(data);
}

}  // namespace

MountOptions parse_mount_options(const std::vector<std::string>& options) {
    MountOptions out;
    for (const auto& option : options) {
        if (option == "idmap" || option == "ridmap")
            throw Error("mount option \"" + option + "\" is not supported yet");
        if (option == "tmpcopyup" || option == "copy-symlink" || option == "z" || option == "Z") continue;
        bool known = false;
        for (const auto& entry : flag_options) {
            if (option != entry.name) continue;
            known = true;
            if (entry.clear) {
                out.flags &= ~entry.flag;
                out.clear_flags |= entry.flag;
            } else {
                out.flags |= entry.flag;
                out.clear_flags &= ~entry.flag;
            }
        }
        for (const auto& entry : propagation_options) {
            if (option != entry.name) continue;
            known = true;
            out.propagation = entry.flag;
        }
        if (known) continue;
        if (!out.data.empty()) out.data += ",";
        out.data += option;
    }
    return out;
}

int exit_status_from_wait(int wait_status) noexcept {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
    return 255;
}

int exec_failure_status(int error) noexcept { return error == ENOENT || error == ENOTDIR ? 127 : 126; }

void ContainerPlan::finalize() {
    argv.clear();
    envp.clear();
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    for (auto& variable : env) envp.push_back(variable.data());
    envp.push_back(nullptr);
}

std::string ContainerPlan::step_description(const ChildReport& report) const {
    auto at = [](const auto& list, std::int32_t index) -> const auto& {
        return list.at(static_cast<std::size_t>(index));
    };
    try {
        switch (static_cast<ChildStep>(report.step)) {
            case ChildStep::wait_for_maps: return "wait for the id maps";
            case ChildStep::become_root: return "become root in the user namespace";
            case ChildStep::cgroup_namespace: return "create the cgroup namespace";
            case ChildStep::signal_mask: return "reset signals";
            case ChildStep::make_private: return "make the mounts private";
            case ChildStep::mount_rootfs: return "mount the overlay rootfs on " + rootfs + " (" + overlay_data + ")";
            case ChildStep::bind_rootfs: return "bind mount the rootfs " + rootfs;
            case ChildStep::open_rootfs: return "open the rootfs " + rootfs;
            case ChildStep::mount_point: return "create the mount point " + at(mounts, report.index).destination;
            case ChildStep::mount: {
                const auto& step = at(mounts, report.index);
                return (step.bind ? "bind mount " : "mount ") + step.source + " on " + step.destination;
            }
            case ChildStep::remount: return "remount " + at(mounts, report.index).destination;
            case ChildStep::propagation: return "set the propagation of " + at(mounts, report.index).destination;
            case ChildStep::device: return "create the device " + at(devices, report.index).path;
            case ChildStep::symlink: return "create the symlink " + at(symlinks, report.index).path;
            case ChildStep::pivot_root: return "pivot_root to " + rootfs;
            case ChildStep::sysctl: return "write " + at(sysctls, report.index).path;
            case ChildStep::masked_path: return "mask " + at(masked_paths, report.index);
            case ChildStep::readonly_path: return "make " + at(readonly_paths, report.index) + " read-only";
            case ChildStep::terminal_open: return "allocate a pseudo-terminal: open /dev/ptmx";
            case ChildStep::terminal_peer: return "allocate a pseudo-terminal: open its slave";
            case ChildStep::console: return "bind mount the pseudo-terminal on /dev/console";
            case ChildStep::controlling_terminal: return "make the pseudo-terminal the controlling terminal";
            case ChildStep::terminal_stdio: return "make the pseudo-terminal the standard input and output";
            case ChildStep::send_terminal: return "send the pseudo-terminal to the runtime";
            case ChildStep::readonly_root: return "make the root file system read-only";
            case ChildStep::hostname: return "set the hostname " + hostname.value_or("");
            case ChildStep::domainname: return "set the domain name " + domainname.value_or("");
            case ChildStep::rlimit: {
                const auto& step = at(rlimits, report.index);
                return "set " + step.name + " to " + std::to_string(step.limit.rlim_cur) + ":" +
                       std::to_string(step.limit.rlim_max);
            }
            case ChildStep::no_new_privs: return "set no_new_privs";
            case ChildStep::bounding_set: return "drop capabilities from the bounding set";
            case ChildStep::keep_caps: return "keep capabilities";
            case ChildStep::setgroups: return "set the additional groups";
            case ChildStep::setresgid: return "set gid " + std::to_string(gid);
            case ChildStep::setresuid: return "set uid " + std::to_string(uid);
            case ChildStep::capabilities: return "set the capabilities";
            case ChildStep::ambient: return "set the ambient capabilities";
            case ChildStep::working_directory: return "change to the working directory " + cwd;
            case ChildStep::umask: return "set the umask";
            case ChildStep::close_fds: return "close inherited file descriptors";
            case ChildStep::seccomp: return "load the seccomp filter";
            case ChildStep::exec: return "exec " + args.front();
            case ChildStep::move_root: return "move the rootfs " + rootfs + " onto /";
            case ChildStep::wait_for_start: return "wait for start on the exec FIFO";
            case ChildStep::ready: return "ready";
            case ChildStep::join_namespace: return "join the namespace " + at(joined_namespaces, report.index).path;
        }
    } catch (const std::out_of_range&) {
    }
    return "step " + std::to_string(report.step);
}

namespace {

std::string parent_directory_of(const std::string& path) {
    auto slash = path.find_last_of('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

// The mount point of the mount holding `path` (the longest mount point of /proc/self/mountinfo above it).
std::string mount_point_of(const std::string& path) {
    std::string best = "/";
    auto text = read_file_if_exists("/proc/self/mountinfo").value_or("");
    for (const auto& line : split(text, '\n')) {
        auto fields = split(line, ' ');
        if (fields.size() < 5) continue;
        const std::string& point = fields[4];
        bool above = path == point || (path.rfind(point, 0) == 0 && (point == "/" || path[point.size()] == '/'));
        if (above && point.size() > best.size()) best = point;
    }
    return best;
}

}  // namespace

ContainerPlan prepare_plan(const nlohmann::json& spec, const std::string& bundle_dir, const PlanContext& context) {
    if (!spec.is_object()) throw Error("config.json: not a JSON object");
    ContainerPlan plan;
    const auto& linux_section = object_field(spec, "linux");
    plan.clone_flags = namespace_flags(linux_section, plan.user_namespace, plan.joined_namespaces);
    // A joined mount namespace counts as the container's; joined ones are not made anew.
    int joined_flags = 0;
    for (const auto& space : plan.joined_namespaces) joined_flags |= space.type;
    // The child joins its cgroups before it has a cgroup namespace, whose root is then the container's cgroup.
    plan.cgroup_namespace = (plan.clone_flags & CLONE_NEWCGROUP) != 0;
    plan.clone_flags &= ~CLONE_NEWCGROUP;
    plan.resources = parse_resource_limits(linux_section);
    plan.cgroups_path = string_field(linux_section, "cgroupsPath", "linux");
    if (!(plan.clone_flags & CLONE_NEWNS)) throw Error("config.json: linux.namespaces: a mount namespace is required");
    plan.clone_flags &= ~joined_flags;
    if (joined_flags & CLONE_NEWCGROUP) plan.cgroup_namespace = false;
    plan.uid_mappings = id_mappings(linux_section, "uidMappings");
    plan.gid_mappings = id_mappings(linux_section, "gidMappings");
    if (plan.user_namespace && (plan.uid_mappings.empty() || plan.gid_mappings.empty()))
        throw Error("config.json: linux: a user namespace needs uidMappings and gidMappings");
    if (!plan.user_namespace && (!plan.uid_mappings.empty() || !plan.gid_mappings.empty()))
        throw Error("config.json: linux: uidMappings and gidMappings need a user namespace");
    if (!plan.user_namespace && !context.host_root)
        throw Error("config.json: linux.namespaces: running as an unprivileged user needs a user namespace");
    plan.setgroups_denied = maps_need_setgroups_deny(plan, context.host_root);

    plan.rootfs = rootfs_path(spec, bundle_dir);
    plan.readonly_root = object_field(spec, "root").value("readonly", false);
    if (context.overlay) set_overlay(plan, *context.overlay);
    plan.root_propagation = MS_REC | MS_PRIVATE;
    if (auto propagation = string_field(linux_section, "rootfsPropagation", "linux"); !propagation.empty()) {
        auto options = parse_mount_options({propagation});
        if (options.propagation == 0)
            throw Error("config.json: linux.rootfsPropagation: unknown propagation \"" + propagation + "\"");
        plan.root_propagation = options.propagation;
        plan.root_propagation_given = true;
        if (options.propagation & MS_SHARED)
            plan.rootfs_parent_mount = mount_point_of(parent_directory_of(plan.rootfs));
    }

    bool network_namespace = (plan.clone_flags & CLONE_NEWNET) != 0;
    if (auto found = spec.find("mounts"); found != spec.end() && !found->is_null()) {
        if (!found->is_array()) throw Error("config.json: mounts: not an array");
        for (const auto& entry : *found) plan.mounts.push_back(mount_step(entry, context, network_namespace));
    }
    plan.bind_devices = plan.user_namespace || !context.host_root;
    add_default_devices(plan, linux_section);
    plan.symlinks = {{"/proc/self/fd", "/dev/fd"},
                     {"/proc/self/fd/0", "/dev/stdin"},
                     {"/proc/self/fd/1", "/dev/stdout"},
                     {"/proc/self/fd/2", "/dev/stderr"},
                     {"pts/ptmx", "/dev/ptmx"}};
    if (::access("/proc/kcore", F_OK) == 0) plan.symlinks.push_back({"/proc/kcore", "/dev/core"});
    plan.masked_paths = string_list(linux_section, "maskedPaths", "linux");
    plan.readonly_paths = string_list(linux_section, "readonlyPaths", "linux");
    for (const auto& path : plan.masked_paths) require_absolute(path, "linux.maskedPaths entry");
    for (const auto& path : plan.readonly_paths) require_absolute(path, "linux.readonlyPaths entry");
    if (auto found = linux_section.find("sysctl"); found != linux_section.end() && found->is_object()) {
        for (const auto& [name, value] : found->items()) {
            if (name.empty() || name.find("..") != std::string::npos || name.find('/') != std::string::npos)
                throw Error("config.json: linux.sysctl: invalid name \"" + name + "\"");
            if (!value.is_string()) throw Error("config.json: linux.sysctl." + name + ": not a string");
            std::string path = "/proc/sys/" + name;
            std::replace(path.begin() + 10, path.end(), '.', '/');
            plan.sysctls.push_back({path, value.get<std::string>()});
        }
    }
    std::string hostname = string_field(spec, "hostname", "(top)");
    std::string domainname = string_field(spec, "domainname", "(top)");
    if ((!hostname.empty() || !domainname.empty()) && !((plan.clone_flags | joined_flags) & CLONE_NEWUTS))
        throw Error("config.json: hostname: setting it needs a UTS namespace of the container's own");
    if (!hostname.empty()) plan.hostname = hostname;
    if (!domainname.empty()) plan.domainname = domainname;

    add_process(plan, spec, context);
    return plan;
}

}  // namespace berth::runtime
