#include "storage/overlay_probe.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace berth::storage {
namespace {

enum class ProbeStep : int { unshare = 1, setgroups, uid_map, gid_map, mount };

const char* step_text(ProbeStep step) {
    switch (step) {
        case ProbeStep::unshare: return "create a user and mount namespace";
        case ProbeStep::setgroups: return "write /proc/self/setgroups";
        case ProbeStep::uid_map: return "write /proc/self/uid_map";
        case ProbeStep::gid_map: return "write /proc/self/gid_map";
        case ProbeStep::mount: return "mount overlay";
    }
    return "probe";
}

// Everything the child needs, built before fork so the child allocates nothing.
struct ProbePlan {
    bool in_user_namespace = false;
    std::string uid_map;
    std::string gid_map;
    std::string options;
    std::string target;
};

bool write_proc_file(const char* path, const std::string& content) {
    UniqueFd fd(::open(path, O_WRONLY | O_CLOEXEC));
    return fd && ::write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size());
}

[[noreturn]] void child_fail(int report_fd, ProbeStep step) {
    int message[2] = {static_cast<int>(step), errno};
    [[maybe_unused]] auto ignored = ::write(report_fd, message, sizeof message);
    ::_exit(1);
}

[[noreturn]] void run_probe_child(const ProbePlan& plan, int report_fd) {
    int flags = CLONE_NEWNS | (plan.in_user_namespace ? CLONE_NEWUSER : 0);
    if (::unshare(flags) != 0) child_fail(report_fd, ProbeStep::unshare);
    if (plan.in_user_namespace) {
        if (!write_proc_file("/proc/self/setgroups", "deny")) child_fail(report_fd, ProbeStep::setgroups);
        if (!write_proc_file("/proc/self/uid_map", plan.uid_map)) child_fail(report_fd, ProbeStep::uid_map);
        if (!write_proc_file("/proc/self/gid_map", plan.gid_map)) child_fail(report_fd, ProbeStep::gid_map);
    }
    if (::mount("overlay", plan.target.c_str(), "overlay", 0, plan.options.c_str()) != 0)
        child_fail(report_fd, ProbeStep::mount);
    ::_exit(0);
}

std::string wait_for_probe(pid_t child, UniqueFd report) {
    int message[2] = {0, 0};
    ssize_t got = 0;
    do {
        got = ::read(report.get(), message, sizeof message);
    } while (got < 0 && errno == EINTR);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (got == static_cast<ssize_t>(sizeof message))
        return std::string(step_text(static_cast<ProbeStep>(message[0]))) + ": " + errno_text(message[1]);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
    return "the overlay probe process failed";
}

}  // namespace

std::string overlay_mount_problem(const std::string& base_dir, bool in_user_namespace) {
    TempDir scratch(base_dir, ".overlay-probe-");
    for (const char* part : {"/lower", "/upper", "/work", "/merged"}) make_directories(scratch.path() + part, 0700);

    ProbePlan plan;
    plan.in_user_namespace = in_user_namespace;
    plan.uid_map = "0 " + std::to_string(::geteuid()) + " 1";
    plan.gid_map = "0 " + std::to_string(::getegid()) + " 1";
    plan.options = "lowerdir=" + scratch.path() + "/lower,upperdir=" + scratch.path() +
                   "/upper,workdir=" + scratch.path() + "/work";
    plan.target = scratch.path() + "/merged";

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_last_errno("pipe");
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);
    pid_t child = ::fork();
    if (child < 0) throw_last_errno("fork");
    if (child == 0) run_probe_child(plan, write_end.get());
    write_end.reset();
    return wait_for_probe(child, std::move(read_end));
}

}  // namespace berth::storage
