#include "engine/container_processes.hpp"

#include <signal.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/files.hpp"
#include "common/strings.hpp"
#include "runtime/process_identity.hpp"

namespace berth::engine {
namespace {

std::optional<ino_t> pid_namespace_of(pid_t pid) {
    struct stat info {};
    std::string path = "/proc/" + std::to_string(pid) + "/ns/pid";
    if (::stat(path.c_str(), &info) != 0) return std::nullopt;
    return info.st_ino;
}

std::optional<std::string> read_proc(pid_t pid, const char* file) {
    try {
        return read_file_if_exists("/proc/" + std::to_string(pid) + "/" + file);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// Fields of /proc/PID/stat after the command name: state is [0], ppid [1], tty_nr [4], utime [11], stime [12],
// starttime [19].
std::optional<ProcessInfo> process_info(pid_t pid) {
    auto stat = read_proc(pid, "stat");
    if (!stat) return std::nullopt;
    auto close = stat->rfind(')');
    auto open = stat->find('(');
    if (close == std::string::npos || open == std::string::npos) return std::nullopt;
    std::vector<std::string> fields;
    for (auto& field : split(std::string_view(*stat).substr(close + 2), ' '))
        if (!field.empty()) fields.push_back(field);
    if (fields.size() < 20) return std::nullopt;
    ProcessInfo info;
    info.pid = pid;
    info.state = fields[0];
    info.ppid = static_cast<pid_t>(parse_unsigned(fields[1]).value_or(0));
    info.tty = static_cast<int>(parse_unsigned(fields[4]).value_or(0));
    info.cpu_ticks = parse_unsigned(fields[11]).value_or(0) + parse_unsigned(fields[12]).value_or(0);
    info.start_ticks = parse_unsigned(fields[19]).value_or(0);
    auto cmdline = read_proc(pid, "cmdline").value_or("");
    while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    info.command = cmdline.empty() ? "[" + stat->substr(open + 1, close - open - 1) + "]" : cmdline;
    struct stat owner {};
    if (::stat(("/proc/" + std::to_string(pid)).c_str(), &owner) == 0) info.uid = owner.st_uid;
    return info;
}

}  // namespace

std::vector<ProcessInfo> container_processes(const storage::ContainerRecord& record) {
    std::vector<ProcessInfo> processes;
    if (!runtime::same_process_alive(record.pid, record.pid_start_time, record.boot_id)) return processes;
    auto namespace_id = pid_namespace_of(record.pid);
    if (!namespace_id) return processes;
    for (const auto& entry : list_directory("/proc")) {
        auto number = parse_unsigned(entry);
        if (!number) continue;
        pid_t pid = static_cast<pid_t>(*number);
        if (pid_namespace_of(pid) != namespace_id) continue;
        if (auto info = process_info(pid)) processes.push_back(std::move(*info));
    }
    std::stable_sort(processes.begin(), processes.end(), [&](const ProcessInfo& a, const ProcessInfo& b) {
        if ((a.pid == record.pid) != (b.pid == record.pid)) return a.pid == record.pid;
        return a.pid < b.pid;
    });
    return processes;
}

int signal_container_processes(const storage::ContainerRecord& record, int signal) {
    int signalled = 0;
    for (const auto& process : container_processes(record))
        if (::kill(process.pid, signal) == 0) ++signalled;
    return signalled;
}

}  // namespace berth::engine
