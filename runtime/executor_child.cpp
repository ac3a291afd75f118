// The container's child between clone(2) and execve(2): only system calls on the prepared plan, no allocation
// and no exceptions. A failed step is written to the parent as a ChildReport and the child exits with 125.
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "runtime/executor_plan.hpp"
#include "runtime/fd_passing.hpp"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

namespace berth::runtime {
namespace {

constexpr int max_path = PATH_MAX;

[[noreturn]] void fail(int report_fd, ChildStep step, std::size_t index, int error) noexcept {
    ChildReport report;
    report.step = static_cast<std::int32_t>(step);
    report.index = static_cast<std::int32_t>(index);
    report.error = error;
    // MSG_NOSIGNAL: after `start` the runtime that created the container is gone, and no SIGPIPE must hide the
    // status below.
    while (::send(report_fd, &report, sizeof report, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
    ::_exit(step == ChildStep::exec ? exec_failure_status(error) : 125);
}

// Copies `text` into `buffer` (always terminated); false when it does not fit.
bool copy_text(char* buffer, std::size_t size, const char* text) noexcept {
    std::size_t length = std::strlen(text);
    if (length >= size) return false;
    std::memcpy(buffer, text, length + 1);
    return true;
}

// `prefix` followed by the decimal `number` into a buffer of at least 32 bytes (prefix: at most 16 bytes).
const char* numbered_path(char* buffer, const char* prefix, unsigned number) noexcept {
    char digits[16];
    int count = 0;
    do {
        digits[count++] = static_cast<char>('0' + number % 10);
        number /= 10;
    } while (number != 0 && count < 15);
    std::size_t length = std::strlen(prefix);
    std::memcpy(buffer, prefix, length);
    for (int index = 0; index < count; ++index)
        buffer[length + static_cast<std::size_t>(index)] = digits[count - 1 - index];
    buffer[length + static_cast<std::size_t>(count)] = '\0';
    return buffer;
}

// "/proc/self/fd/<fd>" into a buffer of at least 32 bytes.
const char* fd_path(char* buffer, int fd) noexcept {
    return numbered_path(buffer, "/proc/self/fd/", static_cast<unsigned>(fd));
}

// openat2 with RESOLVE_IN_ROOT: symlinks and ".." cannot leave the container's root. Returns an fd or -errno.
int open_in_root(int root_fd, const char* path, int flags) noexcept {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    while (*path == '/') ++path;
    if (*path == '\0') path = ".";
    long fd = ::syscall(SYS_openat2, root_fd, path, &how, sizeof how);
    return fd < 0 ? -errno : static_cast<int>(fd);
}

class Fd {
public:
    explicit Fd(int fd) noexcept : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const noexcept { return fd_; }

private:
    int fd_;
};

// Creates `path` inside the root (parents as directories, the last one a directory or an empty file) where it
// does not exist. Returns 0 or an errno value.
int make_in_root(int root_fd, const char* path, bool file) noexcept {
    char buffer[max_path];
    if (!copy_text(buffer, sizeof buffer, path)) return ENAMETOOLONG;
    std::size_t length = std::strlen(buffer);
    while (length > 1 && buffer[length - 1] == '/') buffer[--length] = '\0';
    for (std::size_t end = 1; end <= length; ++end) {
        if (end < length && buffer[end] != '/') continue;
        char saved = buffer[end];
        buffer[end] = '\0';
        bool last = end == length;
        int existing = open_in_root(root_fd, buffer, O_PATH);
        if (existing >= 0) {
            ::close(existing);
        } else if (existing == -ENOENT) {
            char* slash = std::strrchr(buffer, '/');
            *slash = '\0';
            int parent = open_in_root(root_fd, buffer, O_PATH | O_DIRECTORY);
            *slash = '/';
            if (parent < 0) return -parent;
            Fd parent_fd(parent);
            const char* name = slash + 1;
            if (last && file) {
                int created = ::openat(parent, name, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (created < 0 && errno != EEXIST) return errno;
                if (created >= 0) ::close(created);
            } else if (::mkdirat(parent, name, 0755) != 0 && errno != EEXIST) {
                return errno;
            }
        } else {
            return -existing;
        }
        buffer[end] = saved;
    }
    return 0;
}

// Makes the mount at `path` and everything below it read-only (mount_setattr), else the top alone.
int make_readonly_recursive(const char* path) noexcept {
    mount_attr attr{};
    attr.attr_set = MOUNT_ATTR_RDONLY;
    if (::syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof attr) == 0) return 0;
    if (::mount(nullptr, path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_mount_flags(path), nullptr) == 0)
        return 0;
    return errno;
}

void do_mount(const ContainerPlan& plan, int root_fd, std::size_t index, int report_fd) noexcept {
    const MountStep& step = plan.mounts[index];
    int error = make_in_root(root_fd, step.destination.c_str(), step.file_destination);
    if (error != 0) fail(report_fd, ChildStep::mount_point, index, error);
    char target[32];
    bool bound_sys = false;
    {
        int fd = open_in_root(root_fd, step.destination.c_str(), O_PATH);
        if (fd < 0) fail(report_fd, ChildStep::mount_point, index, -fd);
        Fd target_fd(fd);
        int result = ::mount(step.source.c_str(), fd_path(target, fd), step.bind ? nullptr : step.type.c_str(),
                             step.flags, step.data.empty() ? nullptr : step.data.c_str());
        if (result != 0) {
            error = errno;
            if (step.fallback == MountFallback::skip) return;
            if (step.fallback != MountFallback::bind_sys) fail(report_fd, ChildStep::mount, index, error);
            if (::mount("/sys", target, nullptr, MS_BIND | MS_REC, nullptr) != 0)
                fail(report_fd, ChildStep::mount, index, errno);
            bound_sys = true;
        }
    }
    // The new mount is on top of the path now: open it again to reach it rather than what it covers.
    int fd = open_in_root(root_fd, step.destination.c_str(), O_PATH);
    if (fd < 0) fail(report_fd, ChildStep::remount, index, -fd);
    Fd mounted(fd);
    fd_path(target, fd);
    if (bound_sys && (error = make_readonly_recursive(target)) != 0) fail(report_fd, ChildStep::remount, index, error);
    if (step.remount && ::mount(nullptr, target, nullptr, step.remount_flags, nullptr) != 0)
        fail(report_fd, ChildStep::remount, index, errno);
    if (step.propagation != 0 && ::mount(nullptr, target, nullptr, step.propagation, nullptr) != 0)
        fail(report_fd, ChildStep::propagation, index, errno);
}

void make_device(const ContainerPlan& plan, int root_fd, std::size_t index, int report_fd) noexcept {
    const DeviceStep& device = plan.devices[index];
    if (plan.bind_devices) {
        int error = make_in_root(root_fd, device.path.c_str(), true);
        if (error != 0) fail(report_fd, ChildStep::device, index, error);
        int fd = open_in_root(root_fd, device.path.c_str(), O_PATH | O_NOFOLLOW);
        if (fd < 0) fail(report_fd, ChildStep::device, index, -fd);
        Fd target_fd(fd);
        char target[32];
        if (::mount(device.host_path.c_str(), fd_path(target, fd), nullptr, MS_BIND, nullptr) != 0)
            fail(report_fd, ChildStep::device, index, errno);
        return;
    }
    char parent_path[max_path];
    if (!copy_text(parent_path, sizeof parent_path, device.path.c_str()))
        fail(report_fd, ChildStep::device, index, ENAMETOOLONG);
    char* slash = std::strrchr(parent_path, '/');
    *slash = '\0';
    int error = make_in_root(root_fd, parent_path[0] ? parent_path : "/", false);
    if (error != 0) fail(report_fd, ChildStep::device, index, error);
    int parent = open_in_root(root_fd, parent_path, O_PATH | O_DIRECTORY);
    if (parent < 0) fail(report_fd, ChildStep::device, index, -parent);
    Fd parent_fd(parent);
    const char* name = slash + 1;
    if (::mknodat(parent, name, device.mode, device.device) != 0) {
        if (errno == EEXIST) return;
        fail(report_fd, ChildStep::device, index, errno);
    }
    if (::fchownat(parent, name, device.uid, device.gid, AT_SYMLINK_NOFOLLOW) != 0)
        fail(report_fd, ChildStep::device, index, errno);
}

void make_symlink(const ContainerPlan& plan, int root_fd, std::size_t index, int report_fd) noexcept {
    const SymlinkStep& link = plan.symlinks[index];
    char parent_path[max_path];
    if (!copy_text(parent_path, sizeof parent_path, link.path.c_str()))
        fail(report_fd, ChildStep::symlink, index, ENAMETOOLONG);
    char* slash = std::strrchr(parent_path, '/');
    *slash = '\0';
    int parent = open_in_root(root_fd, parent_path, O_PATH | O_DIRECTORY);
    if (parent == -ENOENT) return;  // no /dev in this root: nothing to link
    if (parent < 0) fail(report_fd, ChildStep::symlink, index, -parent);
    Fd parent_fd(parent);
    if (::symlinkat(link.target.c_str(), parent, slash + 1) != 0 && errno != EEXIST)
        fail(report_fd, ChildStep::symlink, index, errno);
}

// mkdir -p of an absolute path after pivot_root (for the working directory); errors are left to chdir.
void make_directories(const char* path) noexcept {
    char buffer[max_path];
    if (!copy_text(buffer, sizeof buffer, path)) return;
    for (char* cursor = buffer + 1;; ++cursor) {
        if (*cursor != '/' && *cursor != '\0') continue;
        char saved = *cursor;
        *cursor = '\0';
        ::mkdir(buffer, 0755);
        *cursor = saved;
        if (saved == '\0') break;
    }
}

void mask_path(const ContainerPlan& plan, std::size_t index, int report_fd) noexcept {
    const char* path = plan.masked_paths[index].c_str();
    struct stat info {};
    if (::stat(path, &info) != 0) {
        if (errno == ENOENT) return;
        fail(report_fd, ChildStep::masked_path, index, errno);
    }
    int result = S_ISDIR(info.st_mode) ? ::mount("tmpfs", path, "tmpfs", MS_RDONLY, nullptr)
                                       : ::mount("/dev/null", path, nullptr, MS_BIND, nullptr);
    if (result != 0) fail(report_fd, ChildStep::masked_path, index, errno);
}

void readonly_path(const ContainerPlan& plan, std::size_t index, int report_fd) noexcept {
    const char* path = plan.readonly_paths[index].c_str();
    if (::mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
        if (errno == ENOENT) return;
        fail(report_fd, ChildStep::readonly_path, index, errno);
    }
    if (::mount(nullptr, path, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | locked_mount_flags(path),
                nullptr) != 0)
        fail(report_fd, ChildStep::readonly_path, index, errno);
}

void write_sysctl(const ContainerPlan& plan, std::size_t index, int report_fd) noexcept {
    const SysctlStep& sysctl = plan.sysctls[index];
    int fd = ::open(sysctl.path.c_str(), O_WRONLY | O_CLOEXEC | O_TRUNC);
    if (fd < 0) fail(report_fd, ChildStep::sysctl, index, errno);
    Fd file(fd);
    if (::write(fd, sysctl.value.data(), sysctl.value.size()) < 0) fail(report_fd, ChildStep::sysctl, index, errno);
}

// Binds the pseudo-terminal /dev/pts/<number> on /dev/console (created as an empty file), as runc does.
int bind_console(unsigned number) noexcept {
    char source[32];
    numbered_path(source, "/dev/pts/", number);
    int fd = ::open("/dev/console", O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
    if (fd < 0) return errno;
    ::close(fd);
    if (::mount(source, "/dev/console", nullptr, MS_BIND, nullptr) != 0) return errno;
    return 0;
}

// process.terminal, after pivot_root: a pseudo-terminal of the container's own devpts (so that it has a name
// in the container: `tty` says /dev/pts/0), bound on /dev/console, made the controlling terminal of a new
// session and the standard input, output and error. Its master goes to the parent, which relays it.
void set_up_terminal(int report_fd) noexcept {
    int master = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) fail(report_fd, ChildStep::terminal_open, 0, errno);
    int unlock = 0;
    unsigned number = 0;
    if (::ioctl(master, TIOCSPTLCK, &unlock) != 0 || ::ioctl(master, TIOCGPTN, &number) != 0)
        fail(report_fd, ChildStep::terminal_peer, 0, errno);
    int peer = ::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (peer < 0) fail(report_fd, ChildStep::terminal_peer, 0, errno);
    if (int error = bind_console(number)) fail(report_fd, ChildStep::console, 0, error);
    if (::setsid() < 0) fail(report_fd, ChildStep::controlling_terminal, 0, errno);
    if (::ioctl(peer, TIOCSCTTY, 0) != 0) fail(report_fd, ChildStep::controlling_terminal, 0, errno);
    if (int error = send_fd(report_fd, master, "t")) fail(report_fd, ChildStep::send_terminal, 0, error);
    ::close(master);
    // The parent sizes the terminal before the command can ask for its size.
    char sized = 0;
    ssize_t got;
    while ((got = ::read(report_fd, &sized, 1)) < 0 && errno == EINTR) {
    }
    if (got != 1) ::_exit(125);
    for (int fd = 0; fd < 3; ++fd)
        if (fd != peer && ::dup2(peer, fd) < 0) fail(report_fd, ChildStep::terminal_stdio, 0, errno);
    if (peer > 2) ::close(peer);
}

void reset_signals(int report_fd) noexcept {
    struct sigaction action {};
    action.sa_handler = SIG_DFL;
    sigemptyset(&action.sa_mask);
    for (int signal = 1; signal < NSIG; ++signal) {
        if (signal == SIGKILL || signal == SIGSTOP) continue;
        ::sigaction(signal, &action, nullptr);  // glibc's reserved signals refuse: fine
    }
    sigset_t none;
    sigemptyset(&none);
    if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) fail(report_fd, ChildStep::signal_mask, 0, errno);
}

// Marks every descriptor but 0, 1 and 2 close-on-exec (the report socket is already): nothing of berth's is
// inherited by the container (runc's CVE-2024-21626).
// Descriptors 3 .. 3+preserve_fds-1 stay open for the process (--preserve-fds).
void close_inherited_fds(int report_fd, int preserve_fds) noexcept {
    unsigned first = 3U + static_cast<unsigned>(preserve_fds > 0 ? preserve_fds : 0);
    for (unsigned fd = 3; fd < first; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, 0);
    if (::syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) fail(report_fd, ChildStep::close_fds, 0, errno);
    rlim_t end = limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > (1 << 20) ? (1 << 20) : limit.rlim_cur;
    for (rlim_t fd = first; fd < end; ++fd) ::fcntl(static_cast<int>(fd), F_SETFD, FD_CLOEXEC);
}

void load_seccomp(const ContainerPlan& plan, int report_fd) noexcept {
    if (plan.seccomp_program.empty()) return;
    int error = seccomp::load_filter(plan.seccomp_program.data(), plan.seccomp_program.size(), plan.seccomp_flags);
    if (error != 0) fail(report_fd, ChildStep::seccomp, 0, error);
}

// Calls `try_candidate` with "<dir>/<command>" for each directory of process.env's PATH in order (an empty one is
// "."; one too long for a path is skipped) until it returns true. Allocates nothing: it runs in the cloned child.
template <typename TryCandidate>
void for_each_path_candidate(const ContainerPlan& plan, TryCandidate try_candidate) noexcept {
    const char* command = plan.argv[0];
    std::size_t command_length = std::strlen(command);
    const char* cursor = plan.search_path.c_str();
    char candidate[max_path];
    for (;;) {
        const char* end = std::strchr(cursor, ':');
        std::size_t length = end ? static_cast<std::size_t>(end - cursor) : std::strlen(cursor);
        if (length == 0) {
            candidate[0] = '.';
            length = 1;
        } else if (length + command_length + 2 <= sizeof candidate) {
            std::memcpy(candidate, cursor, length);
        } else {
            length = 0;
        }
        if (length != 0 && length + command_length + 2 <= sizeof candidate) {
            candidate[length] = '/';
            std::memcpy(candidate + length + 1, command, command_length + 1);
            if (try_candidate(static_cast<const char*>(candidate))) return;
        }
        if (!end) break;
        cursor = end + 1;
    }
}

// execve, searching process.env's PATH for a command without '/' as execvp does (without its /bin/sh fallback).
[[noreturn]] void exec_command(const ContainerPlan& plan, int report_fd) noexcept {
    const char* command = plan.argv[0];
    if (std::strchr(command, '/')) {
        ::execve(command, plan.argv.data(), plan.envp.data());
        fail(report_fd, ChildStep::exec, 0, errno);
    }
    bool denied = false;
    for_each_path_candidate(plan, [&](const char* candidate) {
        ::execve(candidate, plan.argv.data(), plan.envp.data());
        int error = errno;
        if (error == EACCES)
            denied = true;
        else if (error != ENOENT && error != ENOTDIR && error != ESTALE && error != ENODEV)
            fail(report_fd, ChildStep::exec, 0, error);
        return false;
    });
    fail(report_fd, ChildStep::exec, 0, denied ? EACCES : ENOENT);
}

// Whether the command exec_command would run exists and is executable, without running it: a created
// container reports a missing command to `create`, as runc does. 0 or the errno exec_command would report.
int check_command(const ContainerPlan& plan) noexcept {
    const char* command = plan.argv[0];
    if (std::strchr(command, '/')) return ::access(command, X_OK) == 0 ? 0 : errno;
    bool denied = false, found = false;
    for_each_path_candidate(plan, [&](const char* candidate) {
        struct stat info {};
        if (::stat(candidate, &info) != 0 || !S_ISREG(info.st_mode)) return false;
        if (::access(candidate, X_OK) == 0) return found = true;
        denied = true;
        return false;
    });
    return found ? 0 : denied ? EACCES : ENOENT;
}

// A created container: tells the runtime it is ready, then waits until `start` writes to the exec FIFO.
void wait_for_start(const ContainerPlan& plan, int report_fd) noexcept {
    if (int error = check_command(plan)) fail(report_fd, ChildStep::exec, 0, error);
    ChildReport ready;
    ready.step = static_cast<std::int32_t>(ChildStep::ready);
    while (::send(report_fd, &ready, sizeof ready, MSG_NOSIGNAL) < 0 && errno == EINTR) {
    }
    for (;;) {
        pollfd waiting{plan.start_fifo_fd, POLLIN, 0};
        int ready_count = ::poll(&waiting, 1, -1);
        if (ready_count < 0 && errno == EINTR) continue;
        if (ready_count < 0) fail(report_fd, ChildStep::wait_for_start, 0, errno);
        char go = 0;
        ssize_t got = ::read(plan.start_fifo_fd, &go, 1);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got == 1) break;
        // A writer came and went without a byte: not a start.
        if (got == 0) ::_exit(125);
        fail(report_fd, ChildStep::wait_for_start, 0, errno);
    }
    ::close(plan.start_fifo_fd);
}

}  // namespace

unsigned long locked_mount_flags(const char* path) noexcept {
    constexpr unsigned long flags_valid = 0x0020;  // the kernel's ST_VALID: f_flags is filled in
    struct statfs info {};
    if (::statfs(path, &info) != 0 || !(static_cast<unsigned long>(info.f_flags) & flags_valid)) return 0;
    unsigned long flags = 0;
    if (info.f_flags & ST_NOSUID) flags |= MS_NOSUID;
    if (info.f_flags & ST_NODEV) flags |= MS_NODEV;
    if (info.f_flags & ST_NOEXEC) flags |= MS_NOEXEC;
    if (info.f_flags & ST_NOATIME) flags |= MS_NOATIME;
    if (info.f_flags & ST_NODIRATIME) flags |= MS_NODIRATIME;
    if (info.f_flags & ST_RELATIME) flags |= MS_RELATIME;
    return flags;
}

// The process's own steps, shared by a new container's first process and an exec'd one: rlimits, seccomp,
// capabilities, groups and ids, working directory, umask, no_new_privs, closing berth's fds, execve.
[[noreturn]] static void run_process_steps(const ContainerPlan& plan, int report_fd) noexcept {
    for (std::size_t index = 0; index < plan.rlimits.size(); ++index)
        if (::setrlimit(static_cast<__rlimit_resource>(plan.rlimits[index].resource), &plan.rlimits[index].limit) != 0)
            fail(report_fd, ChildStep::rlimit, index, errno);

    // Without no_new_privs the filter needs CAP_SYS_ADMIN, which the change of user below drops: load it now
    // (runc does the same); with no_new_privs as late as possible.
    if (!plan.no_new_privileges) load_seccomp(plan, report_fd);
    if (plan.capabilities) {
        if (int error = drop_bounding_set(*plan.capabilities)) fail(report_fd, ChildStep::bounding_set, 0, error);
        if (::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) fail(report_fd, ChildStep::keep_caps, 0, errno);
    }
    if (!plan.setgroups_denied && ::setgroups(plan.additional_gids.size(), plan.additional_gids.data()) != 0)
        fail(report_fd, ChildStep::setgroups, 0, errno);
    if (::setresgid(plan.gid, plan.gid, plan.gid) != 0) fail(report_fd, ChildStep::setresgid, 0, errno);
    if (::setresuid(plan.uid, plan.uid, plan.uid) != 0) fail(report_fd, ChildStep::setresuid, 0, errno);
    if (plan.capabilities) {
        if (::prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) fail(report_fd, ChildStep::keep_caps, 0, errno);
        if (int error = set_capability_sets(*plan.capabilities)) fail(report_fd, ChildStep::capabilities, 0, error);
        if (int error = set_ambient_set(*plan.capabilities)) fail(report_fd, ChildStep::ambient, 0, error);
    }
    // After pivot_root and the change of user: the path is resolved inside the container's root, as its user.
    if (::chdir(plan.cwd.c_str()) != 0) fail(report_fd, ChildStep::working_directory, 0, errno);
    ::umask(plan.umask);
    if (plan.no_new_privileges && ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail(report_fd, ChildStep::no_new_privs, 0, errno);
    close_inherited_fds(report_fd, plan.preserve_fds);
    if (plan.start_fifo_fd >= 0) wait_for_start(plan, report_fd);
    if (plan.no_new_privileges) load_seccomp(plan, report_fd);
    exec_command(plan, report_fd);
}

void run_exec_child(const ContainerPlan& plan, int report_fd) noexcept {
    reset_signals(report_fd);
    char go = 0;
    ssize_t got;
    while ((got = ::read(report_fd, &go, 1)) < 0 && errno == EINTR) {
    }
    if (got != 1) ::_exit(125);
    if (plan.terminal) set_up_terminal(report_fd);
    run_process_steps(plan, report_fd);
}

void run_child(const ContainerPlan& plan, int report_fd) noexcept {
    reset_signals(report_fd);
    // The parent writes the id maps and moves us into the container's cgroups, then lets us go.
    char go = 0;
    ssize_t got;
    while ((got = ::read(report_fd, &go, 1)) < 0 && errno == EINTR) {
    }
    if (got != 1) ::_exit(125);
    // (With the user namespace joined, the intermediate process joined them all before the clone.)
    for (std::size_t index = 0; !plan.user_namespace_joined() && index < plan.joined_namespaces.size(); ++index) {
        const auto& space = plan.joined_namespaces[index];
        if (space.type != CLONE_NEWPID && ::setns(space.fd, space.type) != 0)
            fail(report_fd, ChildStep::join_namespace, index, errno);
    }
    if (plan.user_namespace) {
        if (::setresgid(0, 0, 0) != 0) fail(report_fd, ChildStep::become_root, 0, errno);
        if (::setresuid(0, 0, 0) != 0) fail(report_fd, ChildStep::become_root, 0, errno);
    }
    if (plan.cgroup_namespace && ::unshare(CLONE_NEWCGROUP) != 0)
        fail(report_fd, ChildStep::cgroup_namespace, 0, errno);
    ::umask(0);

    if (::mount(nullptr, "/", nullptr, plan.root_propagation, nullptr) != 0)
        fail(report_fd, ChildStep::make_private, 0, errno);
    if (!plan.rootfs_parent_mount.empty() &&
        ::mount(nullptr, plan.rootfs_parent_mount.c_str(), nullptr, MS_PRIVATE, nullptr) != 0)
        fail(report_fd, ChildStep::make_private, 0, errno);
    if (!plan.overlay_data.empty()) {
        if (::chdir(plan.overlay_base_dir.c_str()) != 0 ||
            ::mount("overlay", plan.rootfs.c_str(), "overlay", 0, plan.overlay_data.c_str()) != 0)
            fail(report_fd, ChildStep::mount_rootfs, 0, errno);
    }
    if (::mount(plan.rootfs.c_str(), plan.rootfs.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
        fail(report_fd, ChildStep::bind_rootfs, 0, errno);
    int root = ::open(plan.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0) fail(report_fd, ChildStep::open_rootfs, 0, errno);
    {
        Fd root_fd(root);
        for (std::size_t index = 0; index < plan.mounts.size(); ++index) do_mount(plan, root, index, report_fd);
        for (std::size_t index = 0; index < plan.devices.size(); ++index) make_device(plan, root, index, report_fd);
        for (std::size_t index = 0; index < plan.symlinks.size(); ++index) make_symlink(plan, root, index, report_fd);

        // pivot_root(".", "."): the old root ends up on top of the new one and is detached at once.
        if (::fchdir(root) != 0) fail(report_fd, ChildStep::pivot_root, 0, errno);
    }
    if (plan.no_pivot) {
        // A root that cannot be pivoted (a ramfs): move the rootfs over / and chroot into it, as runc does.
        if (::mount(".", "/", nullptr, MS_MOVE, nullptr) != 0) fail(report_fd, ChildStep::move_root, 0, errno);
        if (::chroot(".") != 0) fail(report_fd, ChildStep::move_root, 0, errno);
    } else {
        if (::syscall(SYS_pivot_root, ".", ".") != 0) fail(report_fd, ChildStep::pivot_root, 0, errno);
        if (::mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) != 0)
            fail(report_fd, ChildStep::pivot_root, 0, errno);
        if (::umount2(".", MNT_DETACH) != 0) fail(report_fd, ChildStep::pivot_root, 0, errno);
    }
    if (::chdir("/") != 0) fail(report_fd, ChildStep::pivot_root, 0, errno);
    if (plan.root_propagation_given && ::mount(nullptr, "/", nullptr, plan.root_propagation, nullptr) != 0)
        fail(report_fd, ChildStep::make_private, 0, errno);

    for (std::size_t index = 0; index < plan.sysctls.size(); ++index) write_sysctl(plan, index, report_fd);
    for (std::size_t index = 0; index < plan.readonly_paths.size(); ++index) readonly_path(plan, index, report_fd);
    for (std::size_t index = 0; index < plan.masked_paths.size(); ++index) mask_path(plan, index, report_fd);
    if (plan.terminal) set_up_terminal(report_fd);
    if (plan.readonly_root &&
        ::mount(nullptr, "/", nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_mount_flags("/"), nullptr) != 0)
        fail(report_fd, ChildStep::readonly_root, 0, errno);
    make_directories(plan.cwd.c_str());

    if (plan.hostname && ::sethostname(plan.hostname->data(), plan.hostname->size()) != 0)
        fail(report_fd, ChildStep::hostname, 0, errno);
    if (plan.domainname && ::setdomainname(plan.domainname->data(), plan.domainname->size()) != 0)
        fail(report_fd, ChildStep::domainname, 0, errno);
    run_process_steps(plan, report_fd);
}

}  // namespace berth::runtime
