// Linux capabilities for containers: names and numbers (through libcap), Podman's default set, --cap-add and
// --cap-drop with Podman's ALL rules, and applying prepared sets in the container's child process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::runtime {

// A set of capabilities as a bit mask (bit n is capability n; the kernel has fewer than 64).
class CapabilitySet {
public:
    constexpr CapabilitySet() = default;
    constexpr explicit CapabilitySet(std::uint64_t bits) : bits_(bits) {}

    constexpr std::uint64_t bits() const noexcept { return bits_; }
    constexpr bool empty() const noexcept { return bits_ == 0; }
    constexpr bool has(int cap) const noexcept { return cap >= 0 && cap < 64 && (bits_ >> cap & 1) != 0; }
    constexpr CapabilitySet& add(int cap) noexcept {
        if (cap >= 0 && cap < 64) bits_ |= std::uint64_t{1} << cap;
        return *this;
    }
    constexpr CapabilitySet& remove(int cap) noexcept {
        if (cap >= 0 && cap < 64) bits_ &= ~(std::uint64_t{1} << cap);
        return *this;
    }
    // The capabilities in the set, lowest number first.
    std::vector<int> values() const;
    // "CAP_..." names, sorted by name as Podman lists them.
    std::vector<std::string> names() const;

    friend constexpr CapabilitySet operator|(CapabilitySet a, CapabilitySet b) {
        return CapabilitySet(a.bits_ | b.bits_);
    }
    friend constexpr CapabilitySet operator&(CapabilitySet a, CapabilitySet b) {
        return CapabilitySet(a.bits_ & b.bits_);
    }
    friend constexpr bool operator==(CapabilitySet, CapabilitySet) = default;

private:
    std::uint64_t bits_ = 0;
};

// The number of the named capability: "CAP_CHOWN", "cap_chown", "CHOWN" and "chown" all name 0. Nothing for an
// unknown name (and for "ALL", which is not one capability).
std::optional<int> capability_from_name(std::string_view name);

// As capability_from_name, but throws Error("invalid capability \"NAME\": unknown capability") for unknown names.
int parse_capability(std::string_view name);

// "CAP_CHOWN" for 0; "CAP_<n>" for a number libcap has no name for.
std::string capability_name(int cap);

// The highest capability number the running kernel knows (/proc/sys/kernel/cap_last_cap, else libcap's idea).
int last_capability();

// Every capability the running kernel knows.
CapabilitySet all_capabilities();

// The calling process's bounding set (what "--cap-add ALL" grants, as in Podman).
CapabilitySet current_bounding_set();

// Podman's default set: CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP,
// SETUID, SYS_CHROOT.
CapabilitySet default_capabilities();

// The set from names ("ALL" is refused here; it only means something to adjust_capabilities).
CapabilitySet capability_set(const std::vector<std::string>& names);

// Podman's --cap-add/--cap-drop: "ALL" in drop keeps only the added ones; "ALL" in add starts from `all` (the
// bounding set by default) and then drops; both ALL, or one capability both added and dropped, is an Error.
CapabilitySet adjust_capabilities(CapabilitySet base, const std::vector<std::string>& add,
                                  const std::vector<std::string>& drop, std::optional<CapabilitySet> all = {});

// The five sets of a process, as in the runtime spec's process.capabilities.
struct ProcessCapabilities {
    CapabilitySet bounding;
    CapabilitySet effective;
    CapabilitySet permitted;
    CapabilitySet inheritable;
    CapabilitySet ambient;
    friend bool operator==(const ProcessCapabilities&, const ProcessCapabilities&) = default;
};

// What Podman gives a container process: for uid 0, the set in bounding, effective and permitted; for another
// user, the set in bounding and only the explicitly added capabilities in effective, permitted, inheritable and
// ambient (so that they survive the change of user and exec).
ProcessCapabilities container_process_capabilities(CapabilitySet caps, CapabilitySet explicitly_added, bool root_user);

// The sets of /proc/<pid>/status (CapInh, CapPrm, CapEff, CapBnd, CapAmb); an Error when a line is missing.
ProcessCapabilities parse_status_capabilities(std::string_view status);

// Sets prepared before fork for apply_capabilities, which must not allocate in the child.
struct PreparedCapabilities {
    ProcessCapabilities sets;
    int last_cap = 0;
};

// Checks the sets (ambient must be within permitted and inheritable, everything within the bounding set) and
// records the kernel's last capability; throws Error naming the problem.
PreparedCapabilities prepare_capabilities(const ProcessCapabilities& sets);

// In the container's child before exec (async-signal-safe, no allocation): drops every capability outside the
// bounding set from it (PR_CAPBSET_DROP, needs CAP_SETPCAP), sets effective, permitted and inheritable with
// capset(2) (version 3), then clears the ambient set and raises the wanted ambient capabilities. Returns 0, or
// an errno value with *failed_step (when given) naming the step ("PR_CAPBSET_DROP", "capset",
// "PR_CAP_AMBIENT_CLEAR_ALL", "PR_CAP_AMBIENT_RAISE").
int apply_capabilities(const PreparedCapabilities& prepared, const char** failed_step = nullptr) noexcept;

// The steps of apply_capabilities on their own, for callers that change user in between (keep-caps).
int drop_bounding_set(const PreparedCapabilities& prepared) noexcept;
int set_capability_sets(const PreparedCapabilities& prepared) noexcept;
int set_ambient_set(const PreparedCapabilities& prepared) noexcept;

}  // namespace berth::runtime
