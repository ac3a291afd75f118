#include "runtime/cgroup_limits.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <functional>
#include <thread>
#include <utility>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"

namespace berth::runtime {
namespace {

constexpr std::int64_t default_cpu_period = 100000;

// A number of linux.resources.<section>.<key>, or nothing when it is absent or null.
template <typename Number>
std::optional<Number> number_field(const nlohmann::json& resources, const char* section, const char* key) {
    auto found = resources.find(section);
    if (found == resources.end() || found->is_null()) return std::nullopt;
    if (!found->is_object()) throw Error(std::string("config.json: linux.resources.") + section + ": not an object");
    auto value = found->find(key);
    if (value == found->end() || value->is_null()) return std::nullopt;
    if (!value->is_number_integer())
        throw Error(std::string("config.json: linux.resources.") + section + "." + key + ": not an integer");
    return value->get<Number>();
}

bool is_cgroup2(const std::string& path) {
    struct statfs fs {};
    return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// mountinfo escapes spaces, tabs, newlines and backslashes as \ooo.
std::string unescape_mountinfo(std::string_view field) {
    std::string out;
    for (std::size_t index = 0; index < field.size(); ++index) {
        auto octal = field.substr(index + 1, 3);
        if (field[index] == '\\' && octal.size() == 3 &&
            std::all_of(octal.begin(), octal.end(), [](char c) { return c >= '0' && c <= '7'; })) {
            out += static_cast<char>((octal[0] - '0') * 64 + (octal[1] - '0') * 8 + (octal[2] - '0'));
            index += 3;
        } else {
            out += field[index];
        }
    }
    return out;
}

// "/a/b" joined below `directory`, without doubled slashes.
std::string join_path(const std::string& directory, std::string_view path) {
    while (!path.empty() && path.front() == '/') path.remove_prefix(1);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    if (path.empty()) return directory;
    if (!directory.empty() && directory.back() == '/') return directory + std::string(path);
    return directory + "/" + std::string(path);
}

// The caller's cgroup directory in a hierarchy mounted at `mount` from `mount_root` (a cgroup namespace or a
// bind mount can show a subtree), for its path `own` from /proc/self/cgroup.
std::string own_directory(const std::string& mount, const std::string& mount_root, const std::string& own) {
    std::string_view path = own;
    if (mount_root != "/" && path.starts_with(mount_root)) path.remove_prefix(mount_root.size());
    return join_path(mount, path);
}

void write_control_file(const std::string& path, std::string_view value) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd) throw_last_errno("open " + path);
    ssize_t written;
    while ((written = ::write(fd.get(), value.data(), value.size())) < 0 && errno == EINTR) {
    }
    if (written != static_cast<ssize_t>(value.size())) throw_last_errno("write " + std::string(value) + " to " + path);
}

// The words of a space-separated control file (cgroup.controllers, cgroup.subtree_control).
std::vector<std::string> control_words(const std::string& path) {
    std::vector<std::string> words;
    for (const auto& word : split(trim(read_file(path)), ' '))
        if (!word.empty()) words.push_back(word);
    return words;
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
    return std::find(list.begin(), list.end(), item) != list.end();
}

// Kills whatever is still in a cgroup (a container without a pid namespace of its own can leave background
// processes) so that it can be removed.
void kill_cgroup_processes(const std::string& directory) noexcept {
    try {
        for (const auto& line : split(read_file(directory + "/cgroup.procs"), '\n'))
            if (auto pid = parse_unsigned(trim(line)); pid && *pid > 1) ::kill(static_cast<pid_t>(*pid), SIGKILL);
    } catch (const Error&) {
    }
}

// rmdir of the container's cgroup, killing what is left in it and waiting up to two seconds for it to go.
void remove_cgroup(const std::string& directory) noexcept {
    for (int attempt = 0; attempt < 200; ++attempt) {
        if (::rmdir(directory.c_str()) == 0 || errno == ENOENT) return;
        if (errno != EBUSY) break;
        kill_cgroup_processes(directory);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    log_warning("cannot remove the cgroup " + directory + ": " + errno_text(errno));
}

}  // namespace

std::vector<std::string> ResourceLimits::controllers() const {
    std::vector<std::string> names;
    if (memory || memory_swap) names.emplace_back("memory");
    if (pids) names.emplace_back("pids");
    if (cpu_quota || cpu_period) names.emplace_back("cpu");
    return names;
}

std::string ResourceLimits::names() const {
    std::string joined;
    for (const auto& name : controllers()) joined += (joined.empty() ? "" : ", ") + name;
    return joined;
}

ResourceLimits parse_resource_limits(const nlohmann::json& linux_section) {
    ResourceLimits limits;
    auto found = linux_section.find("resources");
    if (found == linux_section.end() || found->is_null()) return limits;
    if (!found->is_object()) throw Error("config.json: linux.resources: not an object");
    limits.memory = number_field<std::int64_t>(*found, "memory", "limit");
    limits.memory_swap = number_field<std::int64_t>(*found, "memory", "swap");
    limits.pids = number_field<std::int64_t>(*found, "pids", "limit");
    limits.cpu_quota = number_field<std::int64_t>(*found, "cpu", "quota");
    limits.cpu_period = number_field<std::uint64_t>(*found, "cpu", "period");
    return limits;
}

std::vector<CgroupWrite> v1_limit_writes(const ResourceLimits& limits) {
    std::vector<CgroupWrite> writes;
    // memsw must stay at least the memory limit: the memory limit goes first (a new cgroup's memsw is unlimited).
    if (limits.memory) writes.push_back({"memory", "memory.limit_in_bytes", std::to_string(*limits.memory)});
    if (limits.memory_swap || limits.memory) {
        std::int64_t total = limits.memory_swap.value_or(*limits.memory);
        writes.push_back({"memory", "memory.memsw.limit_in_bytes", std::to_string(total), true});
    }
    if (limits.pids) writes.push_back({"pids", "pids.max", *limits.pids > 0 ? std::to_string(*limits.pids) : "max"});
    if (limits.cpu_period) writes.push_back({"cpu", "cpu.cfs_period_us", std::to_string(*limits.cpu_period)});
    if (limits.cpu_quota)
        writes.push_back({"cpu", "cpu.cfs_quota_us", std::to_string(*limits.cpu_quota > 0 ? *limits.cpu_quota : -1)});
    return writes;
}

std::vector<CgroupWrite> v2_limit_writes(const ResourceLimits& limits) {
    auto bytes = [](std::int64_t value) { return value >= 0 ? std::to_string(value) : std::string("max"); };
    std::vector<CgroupWrite> writes;
    if (limits.memory) writes.push_back({"memory", "memory.max", bytes(*limits.memory)});
    if (limits.memory_swap || limits.memory) {
        // memory.swap.max is swap alone: what memory.swap allows beyond the memory limit, else none.
        std::string swap = "0";
        if (limits.memory_swap && *limits.memory_swap < 0)
            swap = "max";
        else if (limits.memory_swap && limits.memory && *limits.memory >= 0)
            swap = std::to_string(std::max<std::int64_t>(0, *limits.memory_swap - *limits.memory));
        else if (limits.memory_swap && !limits.memory)
            swap = bytes(*limits.memory_swap);
        writes.push_back({"memory", "memory.swap.max", swap, true});
    }
    if (limits.pids) writes.push_back({"pids", "pids.max", *limits.pids > 0 ? std::to_string(*limits.pids) : "max"});
    if (limits.cpu_quota || limits.cpu_period) {
        std::string quota = limits.cpu_quota && *limits.cpu_quota > 0 ? std::to_string(*limits.cpu_quota) : "max";
        auto period = limits.cpu_period ? static_cast<std::int64_t>(*limits.cpu_period) : default_cpu_period;
        writes.push_back({"cpu", "cpu.max", quota + " " + std::to_string(period)});
    }
    return writes;
}

CgroupHost parse_cgroup_host(bool unified, std::string_view mountinfo, std::string_view proc_self_cgroup) {
    // Controller -> (mount point, root of the mount); "" for the v2 tree.
    std::map<std::string, std::pair<std::string, std::string>> mounts;
    for (const auto& line : split(mountinfo, '\n')) {
        auto fields = split(line, ' ');
        auto separator = std::find(fields.begin(), fields.end(), "-");
        if (fields.size() < 5 || separator == fields.end() || fields.end() - separator < 4) continue;
        const std::string& type = *(separator + 1);
        std::pair<std::string, std::string> place{unescape_mountinfo(fields[4]), unescape_mountinfo(fields[3])};
        if (type == "cgroup2") {
            mounts.emplace("", place);
        } else if (type == "cgroup") {
            for (const auto& option : split(*(separator + 3), ','))
                if (option != "rw" && option != "ro" && !option.starts_with("name=")) mounts.emplace(option, place);
        }
    }
    CgroupHost host;
    host.unified = unified;
    for (const auto& line : split(proc_self_cgroup, '\n')) {
        auto fields = split(line, ':');
        if (fields.size() < 3) continue;
        std::string own = line.substr(fields[0].size() + fields[1].size() + 2);
        if (fields[1].empty()) {
            auto mount = mounts.find("");
            if (!unified || mount == mounts.end()) continue;
            host.v2_mount = mount->second.first;
            host.v2_own = own_directory(mount->second.first, mount->second.second, own);
            continue;
        }
        for (const auto& controller : split(fields[1], ',')) {
            auto mount = mounts.find(controller);
            if (mount == mounts.end()) continue;
            host.v1[controller] = {mount->second.first, own_directory(mount->second.first, mount->second.second, own)};
        }
    }
    return host;
}

CgroupHost detect_cgroup_host(const std::string& cgroup_root) {
    return parse_cgroup_host(is_cgroup2(cgroup_root), read_file("/proc/self/mountinfo"),
                             read_file("/proc/self/cgroup"));
}

std::string container_cgroup_directory(const std::string& mount, const std::string& own,
                                       const std::string& cgroups_path, const std::string& default_name) {
    const std::string& path = cgroups_path.empty() ? default_name : cgroups_path;
    std::string directory = join_path(path.starts_with('/') ? mount : own, path);
    for (const auto& part : split(path, '/'))
        if (part == "..") throw Error("config.json: linux.cgroupsPath \"" + path + "\": \"..\" is not allowed");
    if (directory == mount || directory == own)
        throw Error("config.json: linux.cgroupsPath \"" + path + "\": not a cgroup of the container's own");
    return directory;
}

namespace {

// mkdir -p from `base` (which exists) down to `directory`, recording what it made; `before_child` is called
// with each directory before its child is made. When a parent shared with another container disappears in
// between (that container removed it), the walk starts again.
void make_cgroup_directories(const std::string& base, const std::string& directory, std::vector<std::string>& created,
                             const std::function<void(const std::string&)>& before_child = {}) {
    std::vector<std::string> parts;
    for (auto& part : split(std::string_view(directory).substr(base.size()), '/'))
        if (!part.empty()) parts.push_back(std::move(part));
    std::string current = base;
    int restarts = 0;
    std::size_t index = 0;
    while (index < parts.size()) {
        if (before_child) before_child(current);
        std::string next = current + "/" + parts[index];
        if (::mkdir(next.c_str(), 0755) == 0) {
            created.push_back(next);
        } else if (errno == ENOENT && index > 0 && restarts++ < 3) {
            current = base;
            index = 0;
            continue;
        } else if (errno != EEXIST) {
            throw_last_errno("create the cgroup " + next);
        }
        current = std::move(next);
        ++index;
    }
}

// v2: the controllers must be enabled in every parent's cgroup.subtree_control to appear in its children.
void enable_controllers(const std::string& directory, const std::vector<std::string>& controllers) {
    auto available = control_words(directory + "/cgroup.controllers");
    auto enabled = control_words(directory + "/cgroup.subtree_control");
    std::string wanted;
    for (const auto& controller : controllers) {
        if (!contains(available, controller))
            throw Error("the " + controller + " controller is not available in " + directory);
        if (contains(enabled, controller)) continue;
        wanted += wanted.empty() ? "+" : " +";
        wanted += controller;
    }
    if (!wanted.empty()) write_control_file(directory + "/cgroup.subtree_control", wanted);
}

}  // namespace

CgroupLimits::CgroupLimits(const ResourceLimits& limits, const CgroupHost& host, const std::string& cgroups_path,
                           const std::string& default_name) {
    try {
        auto controllers = limits.controllers();
        std::map<std::string, std::string> directory_of;  // controller -> the container's cgroup
        if (host.unified) {
            if (host.v2_mount.empty()) throw Error("no cgroup v2 tree is mounted");
            std::string directory = container_cgroup_directory(host.v2_mount, host.v2_own, cgroups_path, default_name);
            std::string base = (cgroups_path.empty() || cgroups_path[0] != '/') ? host.v2_own : host.v2_mount;
            make_cgroup_directories(base, directory, created_,
                                    [&](const std::string& parent) { enable_controllers(parent, controllers); });
            directories_.push_back(directory);
            for (const auto& controller : controllers) directory_of[controller] = directory;
        } else {
            for (const auto& controller : controllers) {
                auto hierarchy = host.v1.find(controller);
                if (hierarchy == host.v1.end())
                    throw Error("the cgroup v1 " + controller + " controller is not mounted");
                const auto& [mount, own] = hierarchy->second;
                std::string directory = container_cgroup_directory(mount, own, cgroups_path, default_name);
                if (!contains(directories_, directory)) {
                    std::string base = (cgroups_path.empty() || cgroups_path[0] != '/') ? own : mount;
                    make_cgroup_directories(base, directory, created_);
                    directories_.push_back(directory);
                }
                directory_of[controller] = directory;
            }
        }
        for (const auto& write : host.unified ? v2_limit_writes(limits) : v1_limit_writes(limits)) {
            std::string path = directory_of.at(write.controller) + "/" + write.file;
            if (write.optional && ::access(path.c_str(), F_OK) != 0) continue;
            write_control_file(path, write.value);
        }
    } catch (...) {
        remove();
        throw;
    }
}

CgroupLimits::CgroupLimits(CgroupLimits&& other) noexcept
    : directories_(std::move(other.directories_)), created_(std::move(other.created_)) {
    other.directories_.clear();
    other.created_.clear();
}

CgroupLimits& CgroupLimits::operator=(CgroupLimits&& other) noexcept {
    if (this != &other) {
        remove();
        directories_ = std::move(other.directories_);
        created_ = std::move(other.created_);
        other.directories_.clear();
        other.created_.clear();
    }
    return *this;
}

CgroupLimits::~CgroupLimits() { remove(); }

void CgroupLimits::add_process(pid_t pid) const {
    for (const auto& directory : directories_) write_control_file(directory + "/cgroup.procs", std::to_string(pid));
}

void remove_cgroups(const std::vector<std::string>& created, const std::vector<std::string>& directories) noexcept {
    // Children before parents; parents shared with other containers stay while they are in use.
    for (auto directory = created.rbegin(); directory != created.rend(); ++directory) {
        if (contains(directories, *directory))
            remove_cgroup(*directory);
        else
            ::rmdir(directory->c_str());
    }
}

void CgroupLimits::remove() noexcept {
    remove_cgroups(created_, directories_);
    created_.clear();
    directories_.clear();
}

std::vector<std::string> CgroupLimits::release() {
    directories_.clear();
    return std::exchange(created_, {});
}

CgroupLimits apply_resource_limits(const ResourceLimits& limits, const std::string& cgroups_path,
                                   const std::string& default_name, bool host_root) {
    if (limits.empty()) return {};
    if (host_root) {
        try {
            return CgroupLimits(limits, detect_cgroup_host(), cgroups_path, default_name);
        } catch (const Error& error) {
            throw Error(std::string("create container: cgroups: ") + error.what());
        }
    }
    auto ignored = [&](const std::string& why) {
        log_warning("resource limits ignored (" + limits.names() + "): " + why);
        return CgroupLimits();
    };
    try {
        CgroupHost host = detect_cgroup_host();
        if (!host.unified) return ignored("cgroup v1 is not delegated to unprivileged users");
        if (::access(host.v2_own.c_str(), W_OK) != 0)
            return ignored("the cgroup " + host.v2_own + " is not delegated to this user");
        return CgroupLimits(limits, host, cgroups_path, default_name);
    } catch (const Error& error) {
        return ignored(error.what());
    }
}

}  // namespace berth::runtime
