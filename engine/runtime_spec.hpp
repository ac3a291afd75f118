// From an image config and Podman's run/create flags to the container's OCI runtime-spec config.json.
//
// The first half parses flag values into RunOptions (errors in Podman's words, e.g. `invalid ulimit "x": ...`);
// the second builds the spec as Podman would, with berth's differences noted where they are.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/image_users.hpp"
#include "engine/run_options.hpp"
#include "rootless/subordinate_ids.hpp"
#include "runtime/capabilities.hpp"
#include "runtime/signal_names.hpp"
#include "runtime/spec_defaults.hpp"

namespace berth::engine {

// The runtime-spec version written into config.json, and PATH when nothing sets one: the runtime's.
using runtime::default_path_env;
using runtime::oci_version;
// Where --init's binary is bind-mounted in the container (Podman's is /run/podman-init).
inline constexpr const char* container_init_path = "/run/berth-init";
// Podman's default RLIMIT_NOFILE and RLIMIT_NPROC (define.RLimitDefaultValue).
inline constexpr uint64_t default_rlimit = 1048576;
inline constexpr uint64_t rlimit_unlimited = UINT64_MAX;

using EnvList = std::vector<std::pair<std::string, std::string>>;

// ---- Flag values ----

// The caller's environment as "KEY=VALUE" strings (from environ).
std::vector<std::string> current_environment();

// One -e/--env value: "KEY=VALUE"; "KEY" takes the caller's value (nothing when unset); "PREFIX*" takes every
// caller variable starting with PREFIX. Throws Error for "=VALUE" and names with white space.
EnvList parse_env_flag(std::string_view value, const std::vector<std::string>& environment);

// The text of an --env-file: KEY=VALUE lines (the value is kept as is, spaces and quotes included), blank lines
// and lines starting with '#' skipped, leading white space ignored, KEY alone or PREFIX* as for -e.
// `where` names the file in errors ("env file F: line 3: invalid variable ...").
EnvList parse_env_file(std::string_view text, const std::vector<std::string>& environment, const std::string& where);
EnvList read_env_file(const std::string& path, const std::vector<std::string>& environment);

// --env-file files in order, then --env values: what RunOptions::env holds. Later values of a key win.
EnvList collect_env(const std::vector<std::string>& env_files, const std::vector<std::string>& env_flags,
                    const std::vector<std::string>& environment);

// --entrypoint: a JSON array of strings, else the whole value as the one command ("" gives {""}, a reset).
std::vector<std::string> parse_entrypoint(std::string_view value);

// -v/--volume [host-dir|volume:]ctr-dir[:options]: a source starting with '/' or '.' is a host directory (a bind
// mount; a relative one, "./data", "../x", ".", is made absolute against the current directory), any other names
// a volume (type "volume"), and a lone ctr-dir is an anonymous volume. "nocopy" turns the copy-up off; "U" gives
// the source to the container's user (MountSpec::chown).
MountSpec parse_volume(std::string_view value);

// --mount type=bind|volume|tmpfs,source=/src,destination=/dst (target=, dst=),ro|readonly[=true|false],rw,
// nocopy (volumes; without source= an anonymous one),
// bind-propagation=P,bind-nonrecursive,tmpfs-size=N,tmpfs-mode=M,exec|noexec,suid|nosuid,dev|nodev.
MountSpec parse_mount(std::string_view value);

// --tmpfs /path[:options]; without options rw,noexec,nosuid,nodev as Podman documents.
MountSpec parse_tmpfs(std::string_view value);

// "net_admin", "CAP_NET_ADMIN", "Net_Admin" give "CAP_NET_ADMIN"; "all" gives "ALL".
// Throws Error(`unknown capability "CAP_FOO"`).
std::string normalize_capability(std::string_view name);
// A --cap-add/--cap-drop value, which may list several names separated by commas.
std::vector<std::string> parse_capabilities(std::string_view value);

// One --security-opt: no-new-privileges[=true|false], seccomp=unconfined|PROFILE.json, mask=/a:/b,
// unmask=ALL|/a:/b (glob patterns), label=disable and apparmor=unconfined (accepted; berth has neither).
void apply_security_opt(RunOptions& options, std::string_view value);

// --ulimit name=soft[:hard] ("nofile=1024:2048", "core=-1" for unlimited; hard is soft when not given).
Ulimit parse_ulimit(std::string_view value);

// --userns: "", private, host, keep-id, nomap.
UsernsMode parse_userns(std::string_view value);

// --pid/--ipc/--uts (flag names the option in errors): true for "host", false for "private" or "".
bool parse_namespace_host(std::string_view flag, std::string_view value);

// --memory: bytes, or a number with a binary unit: b, k, m, g, t (kb, mib ... accepted too). At least 6 MB;
// 0 is no limit.
int64_t parse_memory(std::string_view value);
// A size in bytes with an optional binary unit, as for --memory but without a minimum; flag names it in errors.
int64_t parse_byte_size(std::string_view flag, std::string_view value);
// --cpus: a decimal number of CPUs, at least 0.01 (0 is no limit).
double parse_cpus(std::string_view value);
// --pids-limit: an integer; 0 and -1 mean unlimited.
int64_t parse_pids_limit(std::string_view value);
// --label/--annotation KEY=VALUE (KEY alone is an empty value); flag names the option in errors.
std::pair<std::string, std::string> parse_key_value(std::string_view flag, std::string_view value);

// A signal name or number as an image's StopSignal has it: "SIGTERM", "TERM", "15", "SIGRTMIN+3".
using runtime::parse_signal;

// ---- The spec ----

struct SpecContext {
    std::string container_id;  // 64 hex digits; the default hostname is its first 12
    std::string rootfs;        // root.path; /etc/passwd and /etc/group are read from it for -u and the image User
    // When not empty, the layer directories (top first) /etc/passwd and /etc/group are read from instead, for a
    // rootfs that is mounted only when the container starts.
    std::vector<std::string> user_lookup_layers;
    bool rootless = false;
    // Rootless: the mappings the container's user namespace gets (container id -> host id, as newuidmap takes
    // them): container 0 is the user's own id, 1.. the subordinate ranges (rootless::rootless_id_mappings()).
    std::vector<rootless::IdMapping> uid_mappings;
    std::vector<rootless::IdMapping> gid_mappings;
    uint32_t host_uid = 0;  // the calling user's ids, for --userns keep-id
    uint32_t host_gid = 0;
    // Files bind-mounted over the image's: {destination, host file}, e.g. {"/etc/hosts", ".../hosts"}.
    std::vector<std::pair<std::string, std::string>> etc_files;
    std::string host_hostname;  // HOSTNAME with --uts host; "" asks gethostname()
    std::string init_binary;    // host path of the init for --init (catatonit, tini)
    // The hard RLIMIT_NOFILE and RLIMIT_NPROC of the caller. Rootless, or as a root without CAP_SYS_RESOURCE,
    // they cannot be raised and the defaults are min(these, 1048576) (Podman does the same rootless); as a root
    // that can raise them both are 1048576.
    uint64_t nofile_hard_limit = default_rlimit;
    uint64_t nproc_hard_limit = default_rlimit;
    bool can_raise_limits = true;    // CAP_SYS_RESOURCE in the caller's effective set (root only)
    int last_capability = -1;        // the highest capability to grant with ALL; -1: the running kernel's last
    int64_t default_pids_limit = 0;  // a pids limit when --pids-limit is not given (Podman's is 2048); 0: none
    std::string cgroups_path;        // linux.cgroupsPath when not empty
};

// The hard limits of the calling process for SpecContext::nofile_hard_limit and nproc_hard_limit.
uint64_t current_hard_limit(int resource);

// Whether the calling process may raise hard resource limits (CAP_SYS_RESOURCE is effective).
bool can_raise_resource_limits();

// The process arguments, by Podman's rules: --entrypoint replaces the image's Entrypoint and then the image's
// Cmd is dropped unless a command is given; a command replaces Cmd; an entrypoint of [""] is none; --init
// prepends the init. Throws Error when nothing is left to run.
std::vector<std::string> process_args(const nlohmann::json& image_config, const RunOptions& options);

// The process's capabilities, as Podman gives them: Podman's default set adjusted by --cap-add/--cap-drop (ALL
// included), or every capability up to last_capability with --privileged (-1: the running kernel's last); for
// uid 0 in bounding, effective and permitted; for other users in bounding, with only the --cap-add ones in
// effective, permitted, inheritable and ambient.
runtime::ProcessCapabilities process_capabilities(const RunOptions& options, bool root_user, int last_capability = -1);

// runc's and Podman's default masked and read-only paths.
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

// The container's config.json. `image_config` is the image's config document (its "config" object holds
// Entrypoint, Cmd, Env, WorkingDir, User, StopSignal); an empty or null document is an image without any.
//
//  - env: PATH (default) and container=berth, the image's Env, TERM=xterm with -t, the flags', then HOSTNAME and
//    HOME (from /etc/passwd, else "/") when still unset; a later value of a key replaces the earlier in place.
//  - user: uid/gid from -u (or keep-id's own ids, or the image's User); additionalGids are the primary gid, the
//    user's groups and --group-add, without the gids the user namespace does not map (a warning each). A uid or
//    gid the user namespace does not map is an Error.
//  - namespaces: pid, network, ipc, uts, mount, cgroup (host modes leave theirs out); user only when rootless,
//    with uidMappings/gidMappings (keep-id and nomap rearrange SpecContext's).
//  - mounts: proc, /dev, /sys (sysfs, read-only; rootless with --network host a read-only rbind of the host's
//    /sys, as sysfs cannot be mounted there), /dev/pts (gid=5 only where gid 5 is mapped), /dev/shm,
//    /dev/mqueue, cgroup, SpecContext::etc_files, the init, the --read-only tmpfs ones, then the flags' (which
//    replace defaults at the same destination; bind sources must exist); parents sorted before children.
//  - linux.sysctl: net.ipv4.ping_group_range "0 0" in a network namespace of the container's own (Podman's).
//
// Left to the caller: linux.seccomp (seccomp_profile says which: compiled by the executor), the devices the
// runtime always creates, /run/.containerenv. Differences from Podman: bind mounts get no nosuid/nodev/noexec
// copied from the host mount (the executor keeps locked flags), tmpfs mounts carry no "tmpcopyup", labels stay in
// the container record, and the annotations are berth's (io.berth.annotations.*).
nlohmann::json build_runtime_spec(const nlohmann::json& image_config, const RunOptions& options,
                                  const SpecContext& context);

}  // namespace berth::engine
