#include "runtime/executor.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "runtime/cgroup_limits.hpp"
#include "runtime/executor_plan.hpp"
#include "runtime/terminal_relay.hpp"

namespace berth::runtime {
namespace {

constexpr int forwarded_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};

volatile sig_atomic_t container_pid = 0;

void forward_signal(int signal) {
    int saved = errno;
    if (container_pid > 0) ::kill(container_pid, signal);
    errno = saved;
}

// Blocks the forwarded signals for its lifetime; install() makes them go to the container.
class SignalForwarding {
public:
    SignalForwarding() {
        sigset_t set;
        sigemptyset(&set);
        for (int signal : forwarded_signals) sigaddset(&set, signal);
        ::sigprocmask(SIG_BLOCK, &set, &previous_mask_);
    }
    SignalForwarding(const SignalForwarding&) = delete;
    SignalForwarding& operator=(const SignalForwarding&) = delete;
    ~SignalForwarding() {
        if (installed_)
            for (std::size_t index = 0; index < std::size(forwarded_signals); ++index)
                ::sigaction(forwarded_signals[index], &previous_actions_[index], nullptr);
        container_pid = 0;
        ::sigprocmask(SIG_SETMASK, &previous_mask_, nullptr);
    }
    void install(pid_t pid) {
        container_pid = pid;
        struct sigaction action {};
        action.sa_handler = forward_signal;
        action.sa_flags = SA_RESTART;
        sigemptyset(&action.sa_mask);
        for (std::size_t index = 0; index < std::size(forwarded_signals); ++index)
            ::sigaction(forwarded_signals[index], &action, &previous_actions_[index]);
        installed_ = true;
        sigset_t set;
        sigemptyset(&set);
        for (int signal : forwarded_signals) sigaddset(&set, signal);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    }

private:
    sigset_t previous_mask_{};
    struct sigaction previous_actions_[std::size(forwarded_signals)]{};
    bool installed_ = false;
};

// Holds back the signals that end berth (SIGINT, SIGTERM, SIGHUP, SIGQUIT) from the clone until the container's
// start is recorded: the container may run, and print, before its parent hears that the exec succeeded, and a
// berth ended in between would leave a running container whose record says it never started. A signal sent
// meanwhile is delivered, with its usual effect, once release() (or the destructor) lets it through.
class TerminationDeferred {
public:
    TerminationDeferred() {
        sigset_t set;
        sigemptyset(&set);
        for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&set, signal);
        ::sigprocmask(SIG_BLOCK, &set, &previous_mask_);
    }
    TerminationDeferred(const TerminationDeferred&) = delete;
    TerminationDeferred& operator=(const TerminationDeferred&) = delete;
    ~TerminationDeferred() { release(); }
    void release() {
        if (released_) return;
        released_ = true;
        sigset_t set;
        sigemptyset(&set);
        for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
            if (!sigismember(&previous_mask_, signal)) sigaddset(&set, signal);
        ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    }

private:
    sigset_t previous_mask_{};
    bool released_ = false;
};

int wait_for(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw_last_errno("wait for the container");
    }
    return status;
}

// Kills and reaps a child that must not go on (the parent failed to set it up).
void abandon(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
}

// Reads the child's report: nothing when the socket closed on a successful execve.
bool read_report(int fd, ChildReport& report) {
    for (;;) {
        ssize_t n = ::recv(fd, &report, sizeof report, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_last_errno("read the container's start-up report");
        if (n == 0) return false;
        if (n != static_cast<ssize_t>(sizeof report)) throw Error("create container: short start-up report");
        return true;
    }
}

// Receives the child's first message with a terminal: the master of its pseudo-terminal (true), or the report
// of a step that failed before it (false).
bool receive_terminal(int fd, ChildReport& report, UniqueFd& master) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    iovec data{&report, sizeof report};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n;
    while ((n = ::recvmsg(fd, &message, MSG_CMSG_CLOEXEC)) < 0)
        if (errno != EINTR) throw_last_errno("create container: receive the pseudo-terminal");
    for (cmsghdr* header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header)) {
        if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) continue;
        int received = -1;
        std::memcpy(&received, CMSG_DATA(header), sizeof received);
        master.reset(received);
    }
    if (master) return true;
    if (n == static_cast<ssize_t>(sizeof report)) return false;
    throw Error("create container: the container process ended before its pseudo-terminal was ready");
}

// process.terminal: relays the container's pseudo-terminal until the container exits. Whether it failed to
// start (then `report` says where).
bool attend_terminal(int fd, pid_t child, const ContainerPlan& plan, ChildReport& report,
                     const std::function<void()>& on_terminal, const std::function<void(UniqueFd)>& hand_off) {
    UniqueFd master;
    if (!receive_terminal(fd, report, master)) return true;
    if (hand_off) {
        // Someone else's terminal to relay (a console socket): sized, handed over, not relayed here.
        winsize size = plan.console_size.value_or(winsize{24, 80, 0, 0});
        ::ioctl(master.get(), TIOCSWINSZ, &size);
        hand_off(std::move(master));
        const char sized = 1;
        if (::send(fd, &sized, 1, MSG_NOSIGNAL) != 1) throw_last_errno("create container: size the pseudo-terminal");
        bool failed = read_report(fd, report);
        if (!failed) on_terminal();
        return failed;
    }
    if (!copy_window_size(STDIN_FILENO, master.get()) && !copy_window_size(STDOUT_FILENO, master.get())) {
        // No terminal to copy (a detached container's monitor): the spec's size, else the classic 24x80.
        winsize size = plan.console_size.value_or(winsize{24, 80, 0, 0});
        ::ioctl(master.get(), TIOCSWINSZ, &size);
    }
    const char sized = 1;
    if (::send(fd, &sized, 1, MSG_NOSIGNAL) != 1) throw_last_errno("create container: size the pseudo-terminal");
    on_terminal();
    TerminalRelayOptions options;
    options.fallback_size = plan.console_size;
    if (!plan.terminal_input) options.input = -1;
    relay_terminal(master.get(), child, options);
    return read_report(fd, report);
}

// The container's cgroup when linux.cgroupsPath names none: berth-<container id>, below the runtime's own cgroup.
std::string default_cgroup_name(const ExecutorOptions& options) {
    return "berth-" + (options.container_id.empty() ? std::to_string(::getpid()) : options.container_id);
}

[[noreturn]] void throw_child_failure(const ContainerPlan& plan, const ChildReport& report) {
    if (static_cast<ChildStep>(report.step) == ChildStep::exec) {
        const std::string& command = plan.args.front();
        int status = exec_failure_status(report.error);
        if (command.find('/') == std::string::npos && report.error == ENOENT)
            throw Error(
                "create container: executable file \"" + command + "\" not found in $PATH: " + errno_text(report.error),
                status);
        throw Error("create container: exec " + command + ": " + errno_text(report.error), status);
    }
    throw Error("create container: " + plan.step_description(report) + ": " + errno_text(report.error));
}

}  // namespace

namespace {

using ChildMain = void (*)(const ContainerPlan&, int) noexcept;

// The container's process when it joins a user namespace by path: an intermediate process joins the namespaces
// (the user one first), unshares the new ones, which the joined user namespace then owns, and clones the
// container's process as a sibling (CLONE_PARENT: the caller's child, the first process of a new PID namespace),
// whose pid it sends back before it exits. Returns that pid.
pid_t clone_in_joined_namespaces(const ContainerPlan& plan, unsigned long clone_flags, ChildMain child_main,
                                 int child_socket, int parent_socket) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) throw_last_errno("create container: pipe");
    UniqueFd read_end(report[0]);
    UniqueFd write_end(report[1]);
    long middle = ::syscall(SYS_clone, SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (middle < 0) throw_last_errno("create container: clone");
    if (middle == 0) {
        ::close(parent_socket);
        int32_t answer[2] = {0, -1};  // the container's pid, else minus errno and the index of the failed step
        for (std::size_t index = 0; index < plan.joined_namespaces.size(); ++index)
            if (::setns(plan.joined_namespaces[index].fd, plan.joined_namespaces[index].type) != 0) {
                answer[0] = -errno;
                answer[1] = static_cast<int32_t>(index);
                (void)!::write(report[1], answer, sizeof answer);
                ::_exit(125);
            }
        if (clone_flags != 0 && ::unshare(static_cast<int>(clone_flags)) != 0) {
            answer[0] = -errno;
            (void)!::write(report[1], answer, sizeof answer);
            ::_exit(125);
        }
        long pid = ::syscall(SYS_clone, CLONE_PARENT, nullptr, nullptr, nullptr, nullptr);
        if (pid == 0) {
            ::close(report[1]);
            child_main(plan, child_socket);
            ::_exit(125);
        }
        answer[0] = pid < 0 ? -errno : static_cast<int32_t>(pid);
        (void)!::write(report[1], answer, sizeof answer);
        ::_exit(pid < 0 ? 125 : 0);
    }
    write_end.reset();
    int32_t answer[2] = {0, -1};
    ssize_t got;
    while ((got = ::read(read_end.get(), answer, sizeof answer)) < 0 && errno == EINTR) {
    }
    int status = 0;
    while (::waitpid(static_cast<pid_t>(middle), &status, 0) < 0 && errno == EINTR) {
    }
    if (got != static_cast<ssize_t>(sizeof answer)) throw Error("create container: the namespace joiner ended early");
    if (answer[0] > 0) return static_cast<pid_t>(answer[0]);
    if (answer[1] >= 0)
        throw_errno(
            "create container: join the namespace " + plan.joined_namespaces[static_cast<std::size_t>(answer[1])].path,
            -answer[0]);
    throw_errno("create container: create the namespaces of the container", -answer[0]);
}

// Clones the process of `plan` with `clone_flags`, has `prepare` set it up from outside (id maps, cgroups), lets it
// go, attends it (its terminal, its start-up report), calls `on_start` once it runs, and returns its status.
int launch(const ContainerPlan& plan, unsigned long clone_flags, ChildMain child_main,
           const std::function<void(pid_t)>& prepare, const std::function<void(pid_t)>& on_start, bool wait = true,
           const std::function<void(UniqueFd)>& hand_off_terminal = {}) {
    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0)
        throw_last_errno("create container: socketpair");
    UniqueFd parent_end(sockets[0]);
    UniqueFd child_end(sockets[1]);

    std::optional<SignalForwarding> signals;
    std::optional<TerminationDeferred> deferred;  // forwarded signals go to the container instead
    if (plan.forward_signals)
        signals.emplace();
    else
        deferred.emplace();
    // A fork with new namespaces: the user namespace is created first and owns the others.
    long pid = plan.user_namespace_joined()
                   ? clone_in_joined_namespaces(plan, clone_flags, child_main, sockets[1], sockets[0])
                   : ::syscall(SYS_clone, clone_flags | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
    if (pid < 0) throw_last_errno("create container: clone");
    if (pid == 0) {
        ::close(sockets[0]);
        child_main(plan, sockets[1]);
        ::_exit(125);
    }
    child_end.reset();
    pid_t child = static_cast<pid_t>(pid);
    try {
        if (prepare) prepare(child);
    } catch (...) {
        abandon(child);
        throw;
    }
    if (signals) signals->install(child);
    const char go = 1;
    if (::send(parent_end.get(), &go, 1, MSG_NOSIGNAL) != 1) {
        int error = errno;
        abandon(child);
        throw_errno("create container: start the container process", error);
    }
    ChildReport report;
    bool failed = false;
    bool started = false;
    auto started_now = [&] {
        if (started || !on_start) return;
        started = true;
        on_start(child);
        if (deferred) deferred->release();
    };
    try {
        if (plan.terminal) {
            failed = attend_terminal(parent_end.get(), child, plan, report, started_now, hand_off_terminal);
        } else {
            failed = read_report(parent_end.get(), report);
            if (!failed) started_now();
        }
    } catch (...) {
        abandon(child);
        throw;
    }
    deferred.reset();
    if (!wait && !failed) return 0;  // left running: its parent's parent (a subreaper) reaps it
    int status = wait_for(child);
    if (failed) throw_child_failure(plan, report);
    return exit_status_from_wait(status);
}

// linux.namespaces with paths: their fds opened for the child, and a pid namespace joined by this process for
// its next child (the clone); both undone when the object goes.
class NamespaceJoins {
public:
    explicit NamespaceJoins(ContainerPlan& plan) : plan_(plan) {
        for (auto& space : plan.joined_namespaces) {
            space.fd = ::open(space.path.c_str(), O_RDONLY | O_CLOEXEC);
            if (space.fd < 0) throw_last_errno("create container: open the namespace " + space.path);
            if (space.type != CLONE_NEWPID || plan.user_namespace_joined()) continue;
            own_pid_namespace_.reset(::open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
            if (::setns(space.fd, CLONE_NEWPID) != 0)
                throw_last_errno("create container: join the pid namespace " + space.path);
        }
    }
    NamespaceJoins(const NamespaceJoins&) = delete;
    NamespaceJoins& operator=(const NamespaceJoins&) = delete;
    ~NamespaceJoins() {
        if (own_pid_namespace_) (void)::setns(own_pid_namespace_.get(), CLONE_NEWPID);
        for (auto& space : plan_.joined_namespaces)
            if (space.fd >= 0) ::close(std::exchange(space.fd, -1));
    }

private:
    ContainerPlan& plan_;
    UniqueFd own_pid_namespace_;
};

// The plan of a spec run with these options (the rootfs overlay only for a new container).
ContainerPlan plan_for(const nlohmann::json& spec, const std::string& bundle_dir, const ExecutorOptions& options,
                       const OverlayRootfs* overlay) {
    PlanContext context;
    context.host_root = ::geteuid() == 0;
    context.seccomp_cache_dir = options.seccomp_cache_dir;
    context.default_seccomp = options.default_seccomp;
    context.overlay = overlay;
    ContainerPlan plan = prepare_plan(spec, bundle_dir, context);
    plan.terminal_input = options.terminal_input;
    plan.forward_signals = options.forward_signals;
    plan.finalize();
    return plan;
}

}  // namespace

int run_container(const nlohmann::json& spec, const std::string& bundle_dir, const ExecutorOptions& options) {
    bool host_root = ::geteuid() == 0;
    ContainerPlan plan = plan_for(spec, bundle_dir, options, options.overlay);
    NamespaceJoins joins(plan);
    CgroupLimits cgroups =
        apply_resource_limits(plan.resources, plan.cgroups_path, default_cgroup_name(options), host_root);
    auto prepare = [&](pid_t child) {
        write_child_id_maps(child, plan);
        try {
            cgroups.add_process(child);
        } catch (const Error& error) {
            throw Error(std::string("create container: cgroups: ") + error.what());
        }
        if (options.before_start) options.before_start(child);
    };
    return launch(plan, static_cast<unsigned long>(plan.clone_flags), run_child, prepare, options.on_start);
}

CreatedProcess create_waiting_container(const nlohmann::json& spec, const std::string& bundle_dir,
                                        const CreateOptions& options) {
    bool host_root = ::geteuid() == 0;
    ExecutorOptions executor_options;
    executor_options.default_seccomp = options.default_seccomp;
    executor_options.forward_signals = false;
    ContainerPlan plan = plan_for(spec, bundle_dir, executor_options, nullptr);
    plan.start_fifo_fd = options.start_fifo_fd;
    plan.preserve_fds = options.preserve_fds;
    plan.no_pivot = options.no_pivot;
    NamespaceJoins joins(plan);
    CgroupLimits cgroups = apply_resource_limits(plan.resources, plan.cgroups_path, options.container_id, host_root);

    int sockets[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sockets) != 0)
        throw_last_errno("create container: socketpair");
    UniqueFd parent_end(sockets[0]);
    UniqueFd child_end(sockets[1]);
    long pid = ::syscall(SYS_clone, static_cast<unsigned long>(plan.clone_flags) | SIGCHLD, nullptr, nullptr, nullptr,
                         nullptr);
    if (pid < 0) throw_last_errno("create container: clone");
    if (pid == 0) {
        ::close(sockets[0]);
        run_child(plan, sockets[1]);
        ::_exit(125);
    }
    child_end.reset();
    pid_t child = static_cast<pid_t>(pid);
    ChildReport report;
    bool ready = false;
    try {
        write_child_id_maps(child, plan);
        try {
            cgroups.add_process(child);
        } catch (const Error& error) {
            throw Error(std::string("create container: cgroups: ") + error.what());
        }
        if (options.before_start) options.before_start(child);
        const char go = 1;
        if (::send(parent_end.get(), &go, 1, MSG_NOSIGNAL) != 1)
            throw_last_errno("create container: start the container process");
        bool reported = true;
        if (plan.terminal) {
            UniqueFd master;
            if (receive_terminal(parent_end.get(), report, master)) {
                winsize size = plan.console_size.value_or(winsize{24, 80, 0, 0});
                ::ioctl(master.get(), TIOCSWINSZ, &size);
                if (options.on_terminal) options.on_terminal(std::move(master));
                const char sized = 1;
                if (::send(parent_end.get(), &sized, 1, MSG_NOSIGNAL) != 1)
                    throw_last_errno("create container: size the pseudo-terminal");
                reported = read_report(parent_end.get(), report);
            }
        } else {
            reported = read_report(parent_end.get(), report);
        }
        if (!reported) throw Error("create container: the container process ended before it was ready");
        ready = static_cast<ChildStep>(report.step) == ChildStep::ready;
    } catch (...) {
        abandon(child);
        throw;
    }
    if (!ready) {
        wait_for(child);
        throw_child_failure(plan, report);
    }
    CreatedProcess created;
    created.pid = child;
    created.cgroup_directories = cgroups.directories();
    created.cgroups_created = cgroups.release();
    return created;
}

int wait_for_container(pid_t pid, bool forward_signals) {
    std::optional<SignalForwarding> signals;
    if (forward_signals) {
        signals.emplace();
        signals->install(pid);
    }
    return exit_status_from_wait(wait_for(pid));
}

int exec_in_namespaces(const nlohmann::json& spec, const std::string& bundle_dir, const ExecutorOptions& options,
                       const std::function<void()>& join) {
    ContainerPlan plan = plan_for(spec, bundle_dir, options, nullptr);
    join();
    return launch(plan, 0, run_exec_child, {}, options.on_start, options.wait, options.on_terminal);
}

}  // namespace berth::runtime
