#include "runtime/cgroups.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>

#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::runtime {
namespace {

constexpr const char* cgroup_mount = "/sys/fs/cgroup";
constexpr std::string_view limit_controllers[] = {"memory", "pids", "cpu"};

bool is_cgroup2(const std::string& path) {
    struct statfs fs {};
    return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

std::vector<std::string> missing_limit_controllers(const std::vector<std::string>& controllers) {
    std::vector<std::string> missing;
    for (auto name : limit_controllers)
        if (std::find(controllers.begin(), controllers.end(), name) == controllers.end()) missing.emplace_back(name);
    return missing;
}

std::string join_names(const std::vector<std::string>& names) {
    std::string joined;
    for (const auto& name : names) joined += (joined.empty() ? "" : ", ") + name;
    return joined;
}

void judge_v1(CgroupReport& report, bool rootless) {
    report.controllers = parse_v1_controllers(read_file_if_exists("/proc/cgroups").value_or(""));
    report.hybrid = is_cgroup2(std::string(cgroup_mount) + "/unified");
    if (rootless) {
        report.limits_note =
            "cgroup v1 is not delegated to unprivileged users: --memory, --cpus and "
            "--pids-limit are ignored with a warning";
        return;
    }
    auto missing = missing_limit_controllers(report.controllers);
    report.limits_available = missing.empty();
    report.limits_note = missing.empty() ? "cgroup v1 controllers are mounted and writable by root"
                                         : "cgroup v1 controllers not mounted: " + join_names(missing);
}

void judge_v2(CgroupReport& report, bool rootless) {
    std::string own = parse_v2_cgroup_path(read_file_if_exists("/proc/self/cgroup").value_or(""));
    std::string directory = std::string(cgroup_mount) + (rootless ? own : "");
    auto controllers_text = read_file_if_exists(directory + "/cgroup.controllers").value_or("");
    for (const auto& name : split(trim(controllers_text), ' '))
        if (!name.empty()) report.controllers.push_back(name);
    if (rootless && ::access(directory.c_str(), W_OK) != 0) {
        report.limits_note = "the cgroup " + directory + " is not delegated to this user";
        return;
    }
    auto missing = missing_limit_controllers(report.controllers);
    report.limits_available = missing.empty();
    report.limits_note = missing.empty() ? "the cgroup v2 controllers are delegated"
                                         : "controllers not delegated in " + directory + ": " + join_names(missing);
}

}  // namespace

std::vector<std::string> parse_v1_controllers(std::string_view proc_cgroups) {
    std::vector<std::string> controllers;
    for (const auto& line : split(proc_cgroups, '\n')) {
        if (line.empty() || line.front() == '#') continue;
        auto fields = split(line, '\t');
        if (fields.size() < 4) continue;
        if (fields[1] != "0" && fields[3] == "1") controllers.push_back(fields[0]);
    }
    return controllers;
}

std::string parse_v2_cgroup_path(std::string_view proc_self_cgroup) {
    for (const auto& line : split(proc_self_cgroup, '\n'))
        if (line.starts_with("0::")) return std::string(trim(std::string_view(line).substr(3)));
    return {};
}

CgroupReport detect_cgroups(bool rootless) {
    CgroupReport report;
    if (is_cgroup2(cgroup_mount)) {
        report.version = "v2";
        judge_v2(report, rootless);
    } else {
        report.version = "v1";
        judge_v1(report, rootless);
    }
    return report;
}

}  // namespace berth::runtime
