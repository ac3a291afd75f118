// Seccomp for containers: profiles in the runtime spec's `linux.seccomp` form and in Docker's and Podman's
// seccomp.json form, the built-in default profile (Podman's semantics), resolution of a profile's includes and
// excludes for a container's capabilities and architecture, compilation with libseccomp into a classic BPF
// program, a cache of compiled programs under the run root, and loading a program in the container's child.
#pragma once

#include <linux/filter.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/capabilities.hpp"

namespace berth::runtime::seccomp {

enum class ActionKind { kill_thread, kill_process, trap, errno_ret, trace, allow, log, notify };

// What a rule (or the profile's default) does; `value` is the errno of errno_ret and the message of trace.
struct Action {
    ActionKind kind = ActionKind::allow;
    std::uint32_t value = 0;
    friend bool operator==(const Action&, const Action&) = default;
};

enum class Compare { ne, lt, le, eq, ge, gt, masked_eq };

// A comparison of one syscall argument (index 0-5); for masked_eq, value is the mask and value_two the result.
struct ArgCondition {
    unsigned index = 0;
    std::uint64_t value = 0;
    std::uint64_t value_two = 0;
    Compare op = Compare::eq;
    friend bool operator==(const ArgCondition&, const ArgCondition&) = default;
};

// A linux kernel release, major.minor.
struct KernelVersion {
    int major = 0;
    int minor = 0;
    friend auto operator<=>(const KernelVersion&, const KernelVersion&) = default;
};

// When a rule applies (Docker's format): includes need every listed capability, one of the listed architectures
// and at least the kernel; excludes drop the rule on any listed capability or architecture, or from the kernel on.
struct Condition {
    std::vector<std::string> caps;    // "CAP_SYS_ADMIN"
    std::vector<std::string> arches;  // "amd64", "x86", "x32", "arm64", ...
    std::optional<KernelVersion> min_kernel;
    bool empty() const { return caps.empty() && arches.empty() && !min_kernel; }
    friend bool operator==(const Condition&, const Condition&) = default;
};

struct SyscallRule {
    std::vector<std::string> names;
    Action action;
    std::vector<ArgCondition> args;
    Condition includes;
    Condition excludes;
    friend bool operator==(const SyscallRule&, const SyscallRule&) = default;
};

// Docker's archMap entry: the architectures a profile allows when running on `architecture`.
struct ArchMapEntry {
    std::string architecture;  // "SCMP_ARCH_X86_64"
    std::vector<std::string> sub_architectures;
    friend bool operator==(const ArchMapEntry&, const ArchMapEntry&) = default;
};

// One model for both formats. A resolved profile (see resolve) has no arch_map and no includes or excludes.
struct Profile {
    Action default_action{ActionKind::allow, 0};
    std::vector<std::string> architectures;  // "SCMP_ARCH_X86_64", ...; empty: the native one
    std::vector<ArchMapEntry> arch_map;
    std::vector<std::string> flags;  // "SECCOMP_FILTER_FLAG_LOG", ...
    std::string listener_path;
    std::string listener_metadata;
    std::vector<SyscallRule> syscalls;
    friend bool operator==(const Profile&, const Profile&) = default;
};

// Parses a profile document, either form; `origin` (a file name, "config.json linux.seccomp") names it in
// errors, which say which field is wrong.
Profile parse_profile(std::string_view json_text, std::string_view origin);
Profile profile_from_json(const nlohmann::json& document, std::string_view origin);

// The runtime spec's linux.seccomp object of a resolved profile.
nlohmann::json to_oci_json(const Profile& resolved);

// The built-in default profile: Podman's default (allow-list; ENOSYS for anything not listed; EPERM for the
// dangerous calls unless the container holds the capability that makes them legitimate).
const Profile& default_profile();

// This host's architecture in the profile's naming ("amd64", "arm64", "x86", ...).
std::string native_arch();

// The running kernel's version.
KernelVersion running_kernel();

// The profile as it applies to a container with these (bounding) capabilities on this architecture (empty: the
// native one) and kernel (none: the running one): rules whose includes or excludes rule them out are gone, and
// archMap has become the list of architectures.
Profile resolve(const Profile& profile, CapabilitySet caps, std::string_view arch = {},
                std::optional<KernelVersion> kernel = {});

// Compiles the profile for the capabilities and architecture into a BPF program with libseccomp. Syscall names
// this libseccomp does not know are skipped, as runc does; architectures it does not know too.
std::vector<sock_filter> compile_filter(const Profile& profile, CapabilitySet caps, std::string_view arch = {});

// As compile_filter, through a cache of compiled programs in <cache_dir>/seccomp/, keyed by the SHA-256 of the
// resolved profile (which covers capabilities, architecture and kernel as far as they matter), the libseccomp
// version and the cache format. The cache is best effort: when it cannot be read or written the program is
// compiled and returned all the same.
std::vector<sock_filter> compiled_filter(const Profile& profile, CapabilitySet caps, const std::string& cache_dir,
                                         std::string_view arch = {});

// The number of programs this process compiled with libseccomp (cache misses and compile_filter calls).
std::uint64_t compile_count();

// The seccomp(2) flags the profile asks for (SECCOMP_FILTER_FLAG_*).
unsigned filter_flags(const Profile& profile);

// In the container's child (async-signal-safe, no allocation): installs the program with
// seccomp(SECCOMP_SET_MODE_FILTER, flags), or prctl(PR_SET_SECCOMP) when that syscall is missing and there are
// no flags. The caller has set no_new_privs or holds CAP_SYS_ADMIN. Returns 0 or an errno value.
int load_filter(const sock_filter* program, std::size_t instructions, unsigned flags) noexcept;

}  // namespace berth::runtime::seccomp
