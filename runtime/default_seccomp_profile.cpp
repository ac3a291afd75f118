// berth's built-in seccomp profile.
//
// Its semantics are those of Podman's default profile (containers/common, pkg/seccomp, itself derived from
// Docker's): anything not listed fails with ENOSYS, so that programs fall back from system calls this profile
// does not know; a long allow-list of ordinary calls (including mount, unshare, clone and keyctl, which the
// container's user namespace already confines); EPERM for calls that are dangerous or obsolete; calls that are
// only legitimate with a capability are allowed with it and fail with EPERM without it; personality only for
// the harmless personas; NETLINK_AUDIT sockets only with CAP_AUDIT_WRITE.
//
// libseccomp keeps the first of two rules for a syscall with the same (or no) argument comparisons, so the order
// of the conditional rules below matters, and follows Podman's. The table is berth's own arrangement, grouped by
// purpose; the default_profile unit tests check the behaviour in a real process.

#include <errno.h>

#include <initializer_list>

#include "common/strings.hpp"
#include "runtime/seccomp_filter.hpp"

namespace berth::runtime::seccomp {

namespace {

constexpr Action allow{ActionKind::allow, 0};
constexpr Action eperm{ActionKind::errno_ret, EPERM};

// Calls allowed to every container, by purpose.
constexpr std::string_view allowed[] = {
    // files, directories and descriptors
    "access faccessat faccessat2 chdir fchdir getcwd chmod fchmod fchmodat fchmodat2 chown chown32 fchown fchown32 "
    "fchownat lchown lchown32 creat open openat openat2 close close_range dup dup2 dup3 fcntl fcntl64 flock "
    "link linkat symlink symlinkat readlink readlinkat rename renameat renameat2 unlink unlinkat mkdir mkdirat "
    "mknod mknodat rmdir getdents getdents64 stat stat64 lstat lstat64 fstat fstat64 fstatat64 newfstatat statx "
    "statfs statfs64 fstatfs fstatfs64 truncate truncate64 ftruncate ftruncate64 fallocate fadvise64 fadvise64_64 "
    "readahead lseek _llseek utime utimes utimensat utimensat_time64 futimesat umask sync syncfs fsync fdatasync "
    "sync_file_range name_to_handle_at",
    // extended attributes
    "getxattr lgetxattr fgetxattr setxattr lsetxattr fsetxattr listxattr llistxattr flistxattr removexattr "
    "lremovexattr fremovexattr",
    // reading and writing
    "read readv pread64 preadv preadv2 write writev pwrite64 pwritev pwritev2 sendfile sendfile64 splice tee "
    "copy_file_range ioctl pipe pipe2 io_setup io_submit io_getevents io_cancel io_destroy",
    // waiting for events
    "select _newselect pselect6 pselect6_time64 poll ppoll ppoll_time64 epoll_create epoll_create1 epoll_ctl "
    "epoll_ctl_old epoll_wait epoll_wait_old epoll_pwait epoll_pwait2 eventfd eventfd2 signalfd signalfd4 "
    "timerfd_create timerfd_settime timerfd_settime64 timerfd_gettime timerfd_gettime64 inotify_init inotify_init1 "
    "inotify_add_watch inotify_rm_watch fanotify_init fanotify_mark",
    // memory
    "brk mmap mmap2 munmap mremap mprotect madvise mincore msync mlock mlock2 mlockall munlock munlockall "
    "remap_file_pages mbind get_mempolicy set_mempolicy membarrier memfd_create memfd_secret pkey_alloc pkey_free "
    "pkey_mprotect process_mrelease",
    // processes and threads
    "fork vfork clone clone3 execve execveat exit exit_group wait4 waitid waitpid getpid getppid gettid getpgid "
    "getpgrp setpgid getsid setsid set_tid_address set_robust_list get_robust_list futex futex_time64 rseq "
    "get_thread_area set_thread_area prctl seccomp unshare setns ptrace process_vm_readv process_vm_writev "
    "pidfd_open pidfd_getfd pidfd_send_signal getrlimit ugetrlimit setrlimit prlimit64 getrusage getpriority "
    "setpriority ioprio_get ioprio_set getcpu sched_yield sched_getaffinity sched_setaffinity sched_getattr "
    "sched_setattr sched_getparam sched_setparam sched_getscheduler sched_setscheduler sched_get_priority_max "
    "sched_get_priority_min sched_rr_get_interval sched_rr_get_interval_time64",
    // identity
    "getuid getuid32 geteuid geteuid32 getgid getgid32 getegid getegid32 getresuid getresuid32 getresgid "
    "getresgid32 getgroups getgroups32 setuid setuid32 setgid setgid32 setreuid setreuid32 setregid setregid32 "
    "setresuid setresuid32 setresgid setresgid32 setfsuid setfsuid32 setfsgid setfsgid32 setgroups setgroups32 "
    "capget capset",
    // signals
    "kill tkill tgkill pause restart_syscall signal sigaltstack sigprocmask sigreturn rt_sigaction rt_sigpending "
    "rt_sigprocmask rt_sigqueueinfo rt_tgsigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait "
    "rt_sigtimedwait_time64",
    // clocks and timers (setting the clock is a capability matter, below)
    "time times gettimeofday clock_gettime clock_gettime64 clock_getres clock_getres_time64 clock_nanosleep "
    "clock_nanosleep_time64 nanosleep clock_adjtime clock_adjtime64 adjtimex alarm getitimer setitimer timer_create "
    "timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64",
    // sockets (socket itself is below)
    "socketcall socketpair bind connect listen accept accept4 shutdown getsockname getpeername getsockopt setsockopt "
    "send sendto sendmsg sendmmsg recv recvfrom recvmsg recvmmsg recvmmsg_time64",
    // System V and POSIX IPC
    "ipc msgget msgctl msgsnd msgrcv semget semctl semop semtimedop semtimedop_time64 shmget shmctl shmat shmdt "
    "mq_open mq_unlink mq_timedsend mq_timedsend_time64 mq_timedreceive mq_timedreceive_time64 mq_notify "
    "mq_getsetattr",
    // mounts, confined by the container's user and mount namespaces
    "mount umount umount2 pivot_root mount_setattr move_mount open_tree fsopen fsconfig fsmount fspick",
    // the rest
    "uname sysinfo syslog getrandom keyctl reboot landlock_create_ruleset landlock_add_rule landlock_restrict_self",
};

// Calls refused with EPERM whatever the capabilities: kernel replacement, swap, obsolete interfaces, page faults
// handled in user space, moving other processes' pages, and a few newer calls.
constexpr std::string_view refused =
    "kexec_load kexec_file_load swapon swapoff bdflush nfsservctl uselib ustat sysfs syscall vm86 vm86old "
    "oldstat oldlstat oldfstat olduname oldolduname sgetmask ssetmask nice pciconfig_iobase pciconfig_read "
    "pciconfig_write userfaultfd vmsplice migrate_pages move_pages map_shadow_stack cachestat io_pgetevents "
    "io_pgetevents_time64 futex_wait futex_wake futex_waitv futex_requeue";

// Calls allowed with a capability and refused with EPERM without it.
struct CapabilityGate {
    std::string_view cap;
    std::string_view allowed;  // allowed with the capability
    std::string_view refused;  // EPERM without it
};
constexpr CapabilityGate gates[] = {
    {"CAP_DAC_READ_SEARCH", "open_by_handle_at", "open_by_handle_at"},
    // Podman lists setns here too, but its unconditional allow above comes first and wins.
    {"CAP_SYS_ADMIN", "bpf lookup_dcookie quotactl quotactl_fd setdomainname sethostname",
     "lookup_dcookie perf_event_open quotactl quotactl_fd setdomainname sethostname"},
    {"CAP_SYS_CHROOT", "chroot", "chroot"},
    {"CAP_SYS_MODULE", "init_module finit_module delete_module query_module",
     "init_module finit_module delete_module query_module"},
    {"CAP_SYS_PACCT", "acct", "acct"},
    {"CAP_SYS_PTRACE", "kcmp process_madvise", "kcmp process_madvise"},
    {"CAP_SYS_RAWIO", "ioperm iopl", "ioperm iopl"},
    {"CAP_SYS_TIME", "settimeofday stime clock_settime clock_settime64",
     "settimeofday stime clock_settime clock_settime64"},
    {"CAP_SYS_TTY_CONFIG", "vhangup", "vhangup"},
};

// Calls of one architecture family.
struct ArchCalls {
    std::initializer_list<std::string_view> arches;
    std::string_view names;
};
const ArchCalls arch_calls[] = {
    {{"ppc64le"}, "sync_file_range2 swapcontext"},
    {{"arm", "arm64"}, "arm_fadvise64_64 arm_sync_file_range sync_file_range2 breakpoint cacheflush set_tls"},
    {{"amd64", "x32"}, "arch_prctl"},
    {{"amd64", "x32", "x86"}, "modify_ldt"},
    {{"s390", "s390x"}, "s390_pci_mmio_read s390_pci_mmio_write s390_runtime_instr"},
    {{"riscv64"}, "riscv_flush_icache"},
};

std::vector<std::string> words(std::string_view text) {
    std::vector<std::string> out;
    for (auto& word : split(text, ' '))
        if (!word.empty()) out.push_back(std::move(word));
    return out;
}

SyscallRule rule(std::string_view names, Action action, std::vector<ArgCondition> args = {}) {
    SyscallRule out;
    out.names = words(names);
    out.action = action;
    out.args = std::move(args);
    return out;
}

SyscallRule with_cap(SyscallRule rule, std::string_view cap) {
    rule.includes.caps.emplace_back(cap);
    return rule;
}

SyscallRule without_caps(SyscallRule rule, std::initializer_list<std::string_view> caps) {
    for (auto cap : caps) rule.excludes.caps.emplace_back(cap);
    return rule;
}

ArgCondition arg(unsigned index, std::uint64_t value, Compare op) { return ArgCondition{index, value, 0, op}; }

Profile build_default_profile() {
    Profile p;
    p.default_action = Action{ActionKind::errno_ret, ENOSYS};
    p.arch_map = {
        {"SCMP_ARCH_X86_64", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}},
        {"SCMP_ARCH_AARCH64", {"SCMP_ARCH_ARM"}},
        {"SCMP_ARCH_MIPS64", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64N32"}},
        {"SCMP_ARCH_MIPS64N32", {"SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64"}},
        {"SCMP_ARCH_MIPSEL64", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64N32"}},
        {"SCMP_ARCH_MIPSEL64N32", {"SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64"}},
        {"SCMP_ARCH_S390X", {"SCMP_ARCH_S390"}},
    };
    auto& rules = p.syscalls;
    rules.push_back(rule(refused, eperm));
    SyscallRule everyone;
    everyone.action = allow;
    for (auto group : allowed)
        for (auto& name : words(group)) everyone.names.push_back(std::move(name));
    rules.push_back(std::move(everyone));

    // personality: Linux (0), with UNAME26 (0x0020000), 32-bit Linux (PER_LINUX32, 8) and the query (0xffffffff).
    for (std::uint64_t persona : {0x0ULL, 0x8ULL, 0x20000ULL, 0x20008ULL, 0xffffffffULL})
        rules.push_back(rule("personality", allow, {arg(0, persona, Compare::eq)}));

    for (const auto& calls : arch_calls) {
        auto r = rule(calls.names, allow);
        for (auto arch : calls.arches) r.includes.arches.emplace_back(arch);
        rules.push_back(std::move(r));
    }

    for (const auto& gate : gates) {
        rules.push_back(with_cap(rule(gate.allowed, allow), gate.cap));
        rules.push_back(without_caps(rule(gate.refused, eperm), {gate.cap}));
    }

    // socket(AF_NETLINK = 16, *, NETLINK_AUDIT = 9) fails with EINVAL without CAP_AUDIT_WRITE; other sockets pass.
    constexpr std::uint64_t af_netlink = 16;
    constexpr std::uint64_t netlink_audit = 9;
    rules.push_back(without_caps(rule("socket", Action{ActionKind::errno_ret, EINVAL},
                                      {arg(0, af_netlink, Compare::eq), arg(2, netlink_audit, Compare::eq)}),
                                 {"CAP_AUDIT_WRITE"}));
    rules.push_back(without_caps(rule("socket", allow, {arg(2, netlink_audit, Compare::ne)}), {"CAP_AUDIT_WRITE"}));
    rules.push_back(without_caps(rule("socket", allow, {arg(0, af_netlink, Compare::ne)}), {"CAP_AUDIT_WRITE"}));
    rules.push_back(with_cap(rule("socket", allow), "CAP_AUDIT_WRITE"));

    // bpf and perf_event_open: refused unless CAP_SYS_ADMIN or CAP_BPF; bpf allowed with CAP_BPF and
    // perf_event_open with CAP_PERFMON (still refused by the CAP_SYS_ADMIN rule above when that is missing).
    rules.push_back(without_caps(rule("bpf", eperm), {"CAP_SYS_ADMIN", "CAP_BPF"}));
    rules.push_back(with_cap(rule("bpf", allow), "CAP_BPF"));
    rules.push_back(without_caps(rule("perf_event_open", eperm), {"CAP_SYS_ADMIN", "CAP_BPF"}));
    rules.push_back(with_cap(rule("perf_event_open", allow), "CAP_PERFMON"));
    return p;
}

}  // namespace

const Profile& default_profile() {
    static const Profile profile = build_default_profile();
    return profile;
}

}  // namespace berth::runtime::seccomp
