#include "runtime/capabilities.hpp"

#include <errno.h>
#include <linux/capability.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::runtime {

namespace {

std::string upper(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::vector<int> CapabilitySet::values() const {
    std::vector<int> out;
    for (int cap = 0; cap < 64; ++cap)
        if (has(cap)) out.push_back(cap);
    return out;
}

std::vector<std::string> CapabilitySet::names() const {
    std::vector<std::string> out;
    for (int cap : values()) out.push_back(capability_name(cap));
    std::sort(out.begin(), out.end());
    return out;
}

std::optional<int> capability_from_name(std::string_view name) {
    std::string text = upper(name);
    if (text.starts_with("CAP_")) text.erase(0, 4);
    if (text.empty() || text == "ALL") return std::nullopt;
    for (char c : text)
        if (!(std::isupper(static_cast<unsigned char>(c)) || c == '_')) return std::nullopt;
    std::string lower = "cap_";
    for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    cap_value_t value = 0;
    if (cap_from_name(lower.c_str(), &value) != 0 || value < 0 || value > 63) return std::nullopt;
    return static_cast<int>(value);
}

int parse_capability(std::string_view name) {
    auto cap = capability_from_name(name);
    if (!cap) throw Error("invalid capability \"" + std::string(name) + "\": unknown capability");
    return *cap;
}

std::string capability_name(int cap) {
    char* text = cap_to_name(static_cast<cap_value_t>(cap));
    if (text == nullptr) return "CAP_" + std::to_string(cap);
    std::string name = text;
    cap_free(text);
    if (!name.starts_with("cap_")) return "CAP_" + std::to_string(cap);
    return upper(name);
}

int last_capability() {
    static const int last = [] {
        if (auto text = read_file_if_exists("/proc/sys/kernel/cap_last_cap")) {
            if (auto value = parse_unsigned(trim(*text)); value && *value < 64) return static_cast<int>(*value);
        }
        return static_cast<int>(cap_max_bits()) - 1;
    }();
    return last;
}

CapabilitySet all_capabilities() {
    int last = last_capability();
    return CapabilitySet(last >= 63 ? ~std::uint64_t{0} : (std::uint64_t{1} << (last + 1)) - 1);
}

CapabilitySet current_bounding_set() {
    CapabilitySet set;
    int last = last_capability();
    for (int cap = 0; cap <= last; ++cap)
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) set.add(cap);
    return set;
}

CapabilitySet default_capabilities() {
    return CapabilitySet()
        .add(CAP_CHOWN)
        .add(CAP_DAC_OVERRIDE)
        .add(CAP_FOWNER)
        .add(CAP_FSETID)
        .add(CAP_KILL)
        .add(CAP_NET_BIND_SERVICE)
        .add(CAP_SETFCAP)
        .add(CAP_SETGID)
        .add(CAP_SETPCAP)
        .add(CAP_SETUID)
        .add(CAP_SYS_CHROOT);
}

CapabilitySet capability_set(const std::vector<std::string>& names) {
    CapabilitySet set;
    for (const auto& name : names) set.add(parse_capability(name));
    return set;
}

CapabilitySet adjust_capabilities(CapabilitySet base, const std::vector<std::string>& add,
                                  const std::vector<std::string>& drop, std::optional<CapabilitySet> all) {
    bool add_all = false;
    bool drop_all = false;
    CapabilitySet added;
    CapabilitySet dropped;
    for (const auto& name : add) {
        if (upper(name) == "ALL")
            add_all = true;
        else
            added.add(parse_capability(name));
    }
    for (const auto& name : drop) {
        if (upper(name) == "ALL")
            drop_all = true;
        else
            dropped.add(parse_capability(name));
    }
    if (add_all && drop_all) throw Error("invalid capabilities: adding all caps and removing all caps not allowed");
    if (drop_all) return added;
    if (!add_all) {
        auto both = added & dropped;
        if (!both.empty())
            throw Error("invalid capabilities: capability \"" + capability_name(both.values().front()) +
                        "\" cannot be dropped and added");
        return CapabilitySet((base.bits() & ~dropped.bits()) | added.bits());
    }
    CapabilitySet everything = all ? *all : current_bounding_set();
    return CapabilitySet(everything.bits() & ~dropped.bits());
}

ProcessCapabilities container_process_capabilities(CapabilitySet caps, CapabilitySet explicitly_added, bool root_user) {
    ProcessCapabilities out;
    out.bounding = caps;
    if (root_user) {
        out.effective = caps;
        out.permitted = caps;
        return out;
    }
    auto user_caps = explicitly_added & caps;
    out.effective = user_caps;
    out.permitted = user_caps;
    out.inheritable = user_caps;
    out.ambient = user_caps;
    return out;
}

ProcessCapabilities parse_status_capabilities(std::string_view status) {
    ProcessCapabilities out;
    struct Field {
        std::string_view key;
        CapabilitySet* set;
        bool found = false;
    };
    Field fields[] = {{"CapInh:", &out.inheritable},
                      {"CapPrm:", &out.permitted},
                      {"CapEff:", &out.effective},
                      {"CapBnd:", &out.bounding},
                      {"CapAmb:", &out.ambient}};
    for (const auto& line : split(status, '\n')) {
        for (auto& field : fields) {
            if (!std::string_view(line).starts_with(field.key)) continue;
            auto hex = std::string(trim(std::string_view(line).substr(field.key.size())));
            std::uint64_t bits = 0;
            bool valid = !hex.empty() && hex.size() <= 16;
            for (char c : hex) {
                int digit = std::isdigit(static_cast<unsigned char>(c))        ? c - '0'
                            : (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ? (c | 0x20) - 'a' + 10
                                                                               : -1;
                if (digit < 0) valid = false;
                bits = bits << 4 | static_cast<unsigned>(digit < 0 ? 0 : digit);
            }
            if (!valid) throw Error("process status: " + std::string(field.key) + " bad value \"" + hex + "\"");
            *field.set = CapabilitySet(bits);
            field.found = true;
        }
    }
    for (const auto& field : fields)
        if (!field.found) throw Error("process status: no " + std::string(field.key) + " line");
    return out;
}

PreparedCapabilities prepare_capabilities(const ProcessCapabilities& sets) {
    auto outside = [](CapabilitySet inner, CapabilitySet outer) { return CapabilitySet(inner.bits() & ~outer.bits()); };
    auto complain = [](const char* what, CapabilitySet extra, const char* why) {
        throw Error(std::string("capabilities: ") + what + " " + capability_name(extra.values().front()) + ": " + why);
    };
    if (auto extra = outside(sets.effective, sets.permitted); !extra.empty())
        complain("effective", extra, "not in the permitted set");
    if (auto extra = outside(sets.ambient, sets.bounding); !extra.empty())
        complain("ambient", extra, "not in the bounding set");
    PreparedCapabilities prepared;
    prepared.sets = sets;
    // The kernel raises an ambient capability only when it is permitted and inheritable: the others are left out
    // (runc ignores them too, and its default spec asks for ambient ones without inheritable).
    prepared.sets.ambient = sets.ambient & sets.permitted & sets.inheritable;
    prepared.last_cap = last_capability();
    return prepared;
}

int drop_bounding_set(const PreparedCapabilities& prepared) noexcept {
    for (int cap = 0; cap <= prepared.last_cap; ++cap) {
        if (prepared.sets.bounding.has(cap) || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 0) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return errno;
    }
    return 0;
}

int set_capability_sets(const PreparedCapabilities& prepared) noexcept {
    __user_cap_header_struct header{};
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0;
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    auto low = [](CapabilitySet set) { return static_cast<__u32>(set.bits() & 0xffffffffu); };
    auto high = [](CapabilitySet set) { return static_cast<__u32>(set.bits() >> 32); };
    data[0].effective = low(prepared.sets.effective);
    data[0].permitted = low(prepared.sets.permitted);
    data[0].inheritable = low(prepared.sets.inheritable);
    data[1].effective = high(prepared.sets.effective);
    data[1].permitted = high(prepared.sets.permitted);
    data[1].inheritable = high(prepared.sets.inheritable);
    if (syscall(SYS_capset, &header, data) != 0) return errno;
    return 0;
}

namespace {

int ambient_steps(const PreparedCapabilities& prepared, const char** step) noexcept {
    *step = "PR_CAP_AMBIENT_CLEAR_ALL";
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
        // A kernel without ambient capabilities (before 4.3) has nothing to clear; raising is then impossible.
        if (errno == EINVAL && prepared.sets.ambient.empty()) return 0;
        return errno;
    }
    *step = "PR_CAP_AMBIENT_RAISE";
    for (int cap = 0; cap <= prepared.last_cap; ++cap) {
        if (!prepared.sets.ambient.has(cap)) continue;
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) return errno;
    }
    return 0;
}

}  // namespace

int set_ambient_set(const PreparedCapabilities& prepared) noexcept {
    const char* step = nullptr;
    return ambient_steps(prepared, &step);
}

int apply_capabilities(const PreparedCapabilities& prepared, const char** failed_step) noexcept {
    const char* step = "PR_CAPBSET_DROP";
    int err = drop_bounding_set(prepared);
    if (err == 0) {
        step = "capset";
        err = set_capability_sets(prepared);
    }
    if (err == 0) err = ambient_steps(prepared, &step);
    if (err != 0 && failed_step != nullptr) *failed_step = step;
    return err;
}

}  // namespace berth::runtime
