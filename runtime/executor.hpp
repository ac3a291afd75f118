// berth's OCI runtime: executes a runtime-spec config.json in the foreground, as `runc run` does, and returns
// the container's exit status. No runc, crun or conmon: namespaces, mounts, pivot_root, devices, capabilities,
// seccomp, no_new_privs, rlimits and the change of user happen here (executor_plan.hpp, executor_child.cpp).
#pragma once

#include <sys/types.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"

#include "runtime/executor_plan.hpp"
#include "runtime/seccomp_filter.hpp"

namespace berth::runtime {

struct ExecutorOptions {
    // Where compiled seccomp programs are cached (<dir>/seccomp/); "" compiles every time.
    std::string seccomp_cache_dir;
    // The profile for a spec without linux.seccomp (berth's specs leave it to the executor); null: no filter.
    const seccomp::Profile* default_seccomp = nullptr;
    // The rootfs as an overlay to mount on the spec's root.path inside the container's namespaces; null: the
    // root.path directory is the rootfs.
    const OverlayRootfs* overlay = nullptr;
    // Called with the container's pid once its namespaces exist, id maps and cgroups are set, and before its
    // process goes on to set up its root and run the command: the place to attach its network. Throwing stops it.
    std::function<void(pid_t)> before_start;
    // With process.terminal: whether the caller's stdin goes to the terminal (-i); without it the terminal gets
    // no input at all (not even an end of file).
    bool terminal_input = true;
    // Whether SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to the caller go to the container
    // (--sig-proxy); without, they act on the caller as usual.
    bool forward_signals = true;
    // Called with the container's pid once its command is running (after a successful execve).
    std::function<void(pid_t)> on_start;
    // exec_in_namespaces: false returns 0 once the process runs, without waiting for it (berth-runtime exec -d).
    bool wait = true;
    // exec_in_namespaces with process.terminal: receives the pseudo-terminal's master instead of a relay here
    // (a console socket).
    std::function<void(UniqueFd)> on_terminal;
    // Names the container's cgroup (berth-<id>, below the runtime's own) when the spec has no linux.cgroupsPath;
    // "": the runtime's pid.
    std::string container_id;
};

// Runs the container of `spec` (config.json; root.path relative to `bundle_dir`) with the caller's stdin,
// stdout and stderr, forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 to its first process,
// and returns its exit status (128+signal when a signal ended it). With process.terminal the container gets a
// pseudo-terminal, relayed to the caller's stdin and stdout (terminal_relay.hpp). linux.resources become cgroup
// limits (cgroup_limits.hpp; an unprivileged caller without a delegated cgroup gets one warning instead).
// Throws Error with one line ("create container: mount proc on /proc: Operation not permitted"): exit status
// 125 when the container cannot be created, 126 when its command cannot be executed, 127 when it is not found.
int run_container(const nlohmann::json& spec, const std::string& bundle_dir, const ExecutorOptions& options);

// Runs another process in a running container, as `berth exec` does: the spec's process (args, env, user, cwd,
// capabilities, seccomp, rlimits, terminal) is prepared first, then `join` moves the caller into the
// container's namespaces (and cgroups), then the process is forked there and attended like a container's.
// A container made by `berth-runtime create`: its process, once every step but the execve is done, waits for a
// byte on the exec FIFO (start_fifo_fd, its read end) and outlives the runtime that created it.
struct CreateOptions {
    std::string container_id;  // names the cgroup when the spec has no linux.cgroupsPath
    int start_fifo_fd = -1;
    int preserve_fds = 0;
    bool no_pivot = false;
    const seccomp::Profile* default_seccomp = nullptr;  // for a spec without linux.seccomp; null: none
    // Called with the container's pid once its namespaces, id maps and cgroups exist (createRuntime hooks).
    std::function<void(pid_t)> before_start;
    // process.terminal: receives the pseudo-terminal's master (for the console socket). Throwing stops it.
    std::function<void(UniqueFd)> on_terminal;
};

struct CreatedProcess {
    pid_t pid = 0;
    std::vector<std::string> cgroup_directories;  // the container's own cgroups
    std::vector<std::string> cgroups_created;     // every directory made for them, parents first
};

// Creates the container of `spec` and returns once its process waits for start; its cgroups are left to
// remove_cgroups(). Throws Error as run_container does, the process killed and its cgroups removed.
CreatedProcess create_waiting_container(const nlohmann::json& spec, const std::string& bundle_dir,
                                        const CreateOptions& options);

// Waits for a child of the caller (a container created by it), forwarding SIGINT, SIGTERM, SIGHUP, SIGQUIT,
// SIGUSR1 and SIGUSR2 to it when asked; its exit status (128+signal).
int wait_for_container(pid_t pid, bool forward_signals);

int exec_in_namespaces(const nlohmann::json& spec, const std::string& bundle_dir, const ExecutorOptions& options,
                       const std::function<void()>& join);

}  // namespace berth::runtime
