// The executor's plan: everything the container's child process needs, worked out from config.json before
// clone(2), so that the child only makes system calls (no allocation, no exceptions) between clone and execve.
#pragma once

#include <sched.h>

#include <linux/filter.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rootless/subordinate_ids.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/cgroup_limits.hpp"
#include "runtime/seccomp_filter.hpp"

namespace berth::runtime {

// mount(2) flags and data from the options of a runtime-spec mount ("ro", "nosuid", "rbind", "rprivate",
// "mode=755", ...). Unknown options become the data string, comma-separated, as runc does.
struct MountOptions {
    unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, ..., MS_BIND, MS_REC
    unsigned long clear_flags = 0;  // flags an option asked to clear ("rw", "suid", ...)
    unsigned long propagation = 0;  // MS_PRIVATE, MS_SLAVE, MS_SHARED, MS_UNBINDABLE, with MS_REC for "r..."
    std::string data;
};

// Throws Error for options berth does not support ("idmap", "ridmap").
MountOptions parse_mount_options(const std::vector<std::string>& options);

// What the child does when a mount fails.
enum class MountFallback {
    none,      // the failure is the container's
    bind_sys,  // sysfs cannot be mounted (no network namespace of our own): bind the host's /sys read-only
    skip,      // cgroup: best effort
};

struct MountStep {
    std::string source;       // for bind mounts an absolute host path
    std::string destination;  // absolute inside the container
    std::string type;         // "" for bind mounts
    std::string data;
    unsigned long flags = 0;  // for the first mount(2)
    bool bind = false;
    // Bind mounts with flags (ro, nosuid, ...) are remounted with MS_BIND|MS_REMOUNT|remount_flags, which
    // include the flags the kernel locks on the source's mount (nosuid, nodev, noexec, atime ones).
    bool remount = false;
    unsigned long remount_flags = 0;
    unsigned long propagation = 0;
    bool file_destination = false;  // create the destination as an empty file (the source is not a directory)
    MountFallback fallback = MountFallback::none;
};

// A device node in /dev: created with mknod as root on the host, bind-mounted from the host's node otherwise.
struct DeviceStep {
    std::string path;  // "/dev/null"
    std::string host_path;
    mode_t mode = 0;  // S_IFCHR|0666
    dev_t device = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

struct SymlinkStep {
    std::string target;
    std::string path;
};

struct SysctlStep {
    std::string path;  // "/proc/sys/net/ipv4/ping_group_range"
    std::string value;
};

struct RlimitStep {
    std::string name;  // "RLIMIT_NOFILE"
    int resource = 0;
    rlimit limit{};
};

// The steps the child reports when one fails, with ContainerPlan::step_description for the message.
enum class ChildStep : std::int32_t {
    wait_for_maps,
    become_root,
    cgroup_namespace,
    signal_mask,
    make_private,
    mount_rootfs,
    bind_rootfs,
    open_rootfs,
    mount_point,
    mount,
    remount,
    propagation,
    device,
    symlink,
    pivot_root,
    sysctl,
    masked_path,
    readonly_path,
    terminal_open,
    terminal_peer,
    console,
    controlling_terminal,
    terminal_stdio,
    send_terminal,
    readonly_root,
    hostname,
    domainname,
    rlimit,
    no_new_privs,
    bounding_set,
    keep_caps,
    setgroups,
    setresgid,
    setresuid,
    capabilities,
    ambient,
    working_directory,
    umask,
    close_fds,
    seccomp,
    exec,
    move_root,  // --no-pivot: move the rootfs onto / and chroot
    wait_for_start,
    ready,  // not a failure: a created container waits for `start` (CreateOptions, executor.hpp)
    join_namespace,
};

// A namespace of linux.namespaces with a path: joined (setns) instead of made; the fd is opened by the parent.
struct JoinedNamespace {
    std::string path;
    int type = 0;  // CLONE_NEW*
    int fd = -1;
};

// What the child writes to the parent when a step fails; the socket closes on a successful execve. With a
// terminal, the child first sends the master of its pseudo-terminal (one byte with SCM_RIGHTS).
struct ChildReport {
    std::int32_t step = 0;
    std::int32_t index = 0;  // which mount, device, path, ... of the plan
    std::int32_t error = 0;  // errno
};

struct ContainerPlan {
    int clone_flags = 0;            // CLONE_NEW* of the spec's namespaces but the cgroup one
    bool cgroup_namespace = false;  // unshared by the child once the parent has put it in its cgroups
    bool user_namespace = false;
    // Whether the user namespace is joined by path (a pod's member): an intermediate process then joins every
    // joined namespace, the user one first, and makes the new ones inside it; no id maps are written.
    bool user_namespace_joined() const {
        return !joined_namespaces.empty() && joined_namespaces.front().type == CLONE_NEWUSER;
    }
    std::vector<rootless::IdMapping> uid_mappings;
    std::vector<rootless::IdMapping> gid_mappings;
    bool setgroups_denied = false;  // single-id maps written by an unprivileged parent
    // Joined by the child (setns) before anything else; a pid namespace is joined by the parent for the clone.
    std::vector<JoinedNamespace> joined_namespaces;

    std::string rootfs;  // absolute host path
    // An overlay to mount on `rootfs` first, in the container's namespaces (empty: rootfs is ready): the mount
    // data, with lower, upper and work directories relative to overlay_base_dir (the child changes to it first,
    // which keeps the data short of the kernel's one-page limit).
    std::string overlay_base_dir;
    std::string overlay_data;
    bool readonly_root = false;
    unsigned long root_propagation = 0;  // MS_REC|MS_PRIVATE unless linux.rootfsPropagation says otherwise
    // linux.rootfsPropagation given: applied to the new root after pivot_root too (as runc does). A shared one
    // leaves the mount holding the rootfs shared, which pivot_root refuses: that mount is made private first.
    bool root_propagation_given = false;
    std::string rootfs_parent_mount;
    std::vector<MountStep> mounts;
    bool bind_devices = false;  // rootless or in a user namespace: bind the host's nodes
    std::vector<DeviceStep> devices;
    std::vector<SymlinkStep> symlinks;
    std::vector<std::string> masked_paths;
    std::vector<std::string> readonly_paths;
    std::vector<SysctlStep> sysctls;
    std::optional<std::string> hostname;
    std::optional<std::string> domainname;
    std::vector<RlimitStep> rlimits;
    ResourceLimits resources;  // linux.resources, applied by the parent (cgroup_limits.hpp)
    std::string cgroups_path;  // linux.cgroupsPath

    // process.terminal: a pseudo-terminal of the container's own devpts (/dev/ptmx) on 0, 1 and 2, bound on
    // /dev/console, the controlling terminal of a new session; the parent relays it (terminal_relay.hpp).
    bool terminal = false;
    std::optional<winsize> console_size;  // process.consoleSize: when the caller has no terminal to copy
    bool terminal_input = true;           // relay the caller's stdin to the terminal (-i); else none at all
    bool forward_signals = true;          // the caller's SIGINT, SIGTERM, ... go to the process (--sig-proxy)
    bool no_new_privileges = false;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> additional_gids;
    mode_t umask = 022;
    std::string cwd = "/";
    std::optional<PreparedCapabilities> capabilities;
    std::vector<sock_filter> seccomp_program;  // empty: no filter
    unsigned seccomp_flags = 0;

    // A created container (berth-runtime create): the read end of its exec FIFO, on which the process waits for
    // `start` once everything but the execve is done; -1 runs at once. Descriptors 3 .. 3+preserve_fds-1 are
    // passed to the process; no_pivot moves the rootfs onto / and chroots instead of pivot_root.
    int start_fifo_fd = -1;
    int preserve_fds = 0;
    bool no_pivot = false;

    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string search_path;  // PATH from process.env, for a command without '/'

    // Filled by finalize() once the plan is in its final place (they point into the strings above).
    std::vector<char*> argv;
    std::vector<char*> envp;

    void finalize();
    // "mount proc on /proc", "pivot_root to /x/rootfs", ... for a ChildReport.
    std::string step_description(const ChildReport& report) const;
};

// Where config.json's process comes from, for the parts that depend on the host.
// The container's rootfs as an overlay of image layers and its own writable layer.
struct OverlayRootfs {
    std::string base_dir;            // absolute; the directories below are relative to it
    std::vector<std::string> lower;  // top first
    std::string upper;
    std::string work;
};

struct PlanContext {
    bool host_root = false;                             // the caller's effective uid is 0
    const OverlayRootfs* overlay = nullptr;             // mount this on the spec's root.path
    std::string seccomp_cache_dir;                      // "" compiles without a cache
    const seccomp::Profile* default_seccomp = nullptr;  // when the spec has no linux.seccomp; null: none
};

// Turns a runtime spec into a plan; throws Error naming the field or object that is wrong (a missing bind
// source, an unknown namespace, a hostname without a UTS namespace, ...).
ContainerPlan prepare_plan(const nlohmann::json& spec, const std::string& bundle_dir, const PlanContext& context);

// The container's exit status from a wait status: its exit code, or 128+signal.
int exit_status_from_wait(int wait_status) noexcept;

// Podman's status for an execve failure: 127 for a missing file, 126 otherwise.
int exec_failure_status(int error) noexcept;

// The flags the kernel locks on the mount at `path` (nosuid, nodev, noexec, the atime ones), which a bind
// remount must keep; 0 when they cannot be read. Allocation-free (statfs(2)).
unsigned long locked_mount_flags(const char* path) noexcept;

// In the child after clone (never returns): reports a failed step over `report_fd` and exits 125, or execs.
[[noreturn]] void run_child(const ContainerPlan& plan, int report_fd) noexcept;

// In a child forked inside a running container's namespaces (berth exec): its terminal when asked, then only the
// process's steps (rlimits, capabilities, ids, seccomp, ...) and execve; reports failures as run_child does.
[[noreturn]] void run_exec_child(const ContainerPlan& plan, int report_fd) noexcept;

// The parent's half of the id maps: writes the child's uid_map and gid_map, directly as root or for a map of
// the caller's own id alone (setgroups denied), else with newuidmap/newgidmap. Throws Error naming the helper.
void write_child_id_maps(pid_t child, const ContainerPlan& plan);

// Whether write_child_id_maps writes single-id maps itself as an unprivileged user (then setgroups is denied).
bool maps_need_setgroups_deny(const ContainerPlan& plan, bool host_root);

}  // namespace berth::runtime
