#include "runtime/seccomp_filter.hpp"

#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <memory>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"

namespace berth::runtime::seccomp {

namespace {

using json = nlohmann::json;

// Bumped whenever the way berth turns a resolved profile into BPF changes, so that old cache files are not used.
constexpr std::string_view cache_format = "berth-seccomp-bpf-1";
constexpr char cache_magic[8] = {'B', 'E', 'R', 'T', 'H', 'B', 'P', '2'};

std::atomic<std::uint64_t> compiled_programs{0};

// ---- names ---------------------------------------------------------------------------------------------------

struct ActionName {
    std::string_view name;
    ActionKind kind;
};
constexpr ActionName action_names[] = {
    {"SCMP_ACT_KILL", ActionKind::kill_thread},
    {"SCMP_ACT_KILL_THREAD", ActionKind::kill_thread},
    {"SCMP_ACT_KILL_PROCESS", ActionKind::kill_process},
    {"SCMP_ACT_TRAP", ActionKind::trap},
    {"SCMP_ACT_ERRNO", ActionKind::errno_ret},
    {"SCMP_ACT_TRACE", ActionKind::trace},
    {"SCMP_ACT_ALLOW", ActionKind::allow},
    {"SCMP_ACT_LOG", ActionKind::log},
    {"SCMP_ACT_NOTIFY", ActionKind::notify},
};

std::string_view action_name(ActionKind kind) {
    switch (kind) {
        case ActionKind::kill_thread: return "SCMP_ACT_KILL_THREAD";
        case ActionKind::kill_process: return "SCMP_ACT_KILL_PROCESS";
        case ActionKind::trap: return "SCMP_ACT_TRAP";
        case ActionKind::errno_ret: return "SCMP_ACT_ERRNO";
        case ActionKind::trace: return "SCMP_ACT_TRACE";
        case ActionKind::allow: return "SCMP_ACT_ALLOW";
        case ActionKind::log: return "SCMP_ACT_LOG";
        case ActionKind::notify: return "SCMP_ACT_NOTIFY";
    }
    return "SCMP_ACT_ALLOW";
}

bool has_value(ActionKind kind) { return kind == ActionKind::errno_ret || kind == ActionKind::trace; }

struct CompareName {
    std::string_view name;
    Compare op;
    scmp_compare scmp;
};
constexpr CompareName compare_names[] = {
    {"SCMP_CMP_NE", Compare::ne, SCMP_CMP_NE},
    {"SCMP_CMP_LT", Compare::lt, SCMP_CMP_LT},
    {"SCMP_CMP_LE", Compare::le, SCMP_CMP_LE},
    {"SCMP_CMP_EQ", Compare::eq, SCMP_CMP_EQ},
    {"SCMP_CMP_GE", Compare::ge, SCMP_CMP_GE},
    {"SCMP_CMP_GT", Compare::gt, SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", Compare::masked_eq, SCMP_CMP_MASKED_EQ},
};

const CompareName& compare_entry(Compare op) {
    for (const auto& entry : compare_names)
        if (entry.op == op) return entry;
    return compare_names[3];
}

// Architectures: the runtime spec's SCMP_ARCH_* name, the profile's short name (libseccomp-golang's, which
// Docker's and Podman's includes/excludes use), other spellings of it (Go's GOARCH), and libseccomp's token.
struct ArchName {
    std::string_view scmp;
    std::string_view name;
    std::string_view alias;
    std::uint32_t token;
};
constexpr ArchName arch_names[] = {
    {"SCMP_ARCH_X86", "x86", "386", SCMP_ARCH_X86},
    {"SCMP_ARCH_X86_64", "amd64", "x86_64", SCMP_ARCH_X86_64},
    {"SCMP_ARCH_X32", "x32", "", SCMP_ARCH_X32},
    {"SCMP_ARCH_ARM", "arm", "", SCMP_ARCH_ARM},
    {"SCMP_ARCH_AARCH64", "arm64", "aarch64", SCMP_ARCH_AARCH64},
    {"SCMP_ARCH_MIPS", "mips", "", SCMP_ARCH_MIPS},
    {"SCMP_ARCH_MIPS64", "mips64", "", SCMP_ARCH_MIPS64},
    {"SCMP_ARCH_MIPS64N32", "mips64n32", "", SCMP_ARCH_MIPS64N32},
    {"SCMP_ARCH_MIPSEL", "mipsel", "mipsle", SCMP_ARCH_MIPSEL},
    {"SCMP_ARCH_MIPSEL64", "mipsel64", "mips64le", SCMP_ARCH_MIPSEL64},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32", "mips64len32", SCMP_ARCH_MIPSEL64N32},
    {"SCMP_ARCH_PPC", "ppc", "", SCMP_ARCH_PPC},
    {"SCMP_ARCH_PPC64", "ppc64", "", SCMP_ARCH_PPC64},
    {"SCMP_ARCH_PPC64LE", "ppc64le", "", SCMP_ARCH_PPC64LE},
    {"SCMP_ARCH_S390", "s390", "", SCMP_ARCH_S390},
    {"SCMP_ARCH_S390X", "s390x", "", SCMP_ARCH_S390X},
    {"SCMP_ARCH_PARISC", "parisc", "", SCMP_ARCH_PARISC},
    {"SCMP_ARCH_PARISC64", "parisc64", "", SCMP_ARCH_PARISC64},
    {"SCMP_ARCH_RISCV64", "riscv64", "", SCMP_ARCH_RISCV64},
#ifdef SCMP_ARCH_LOONGARCH64
    {"SCMP_ARCH_LOONGARCH64", "loong64", "loongarch64", SCMP_ARCH_LOONGARCH64},
#else
    {"SCMP_ARCH_LOONGARCH64", "loong64", "loongarch64", 0},
#endif
#ifdef SCMP_ARCH_M68K
    {"SCMP_ARCH_M68K", "m68k", "", SCMP_ARCH_M68K},
#else
    {"SCMP_ARCH_M68K", "m68k", "", 0},
#endif
#ifdef SCMP_ARCH_SHEB
    {"SCMP_ARCH_SHEB", "sheb", "", SCMP_ARCH_SHEB},
    {"SCMP_ARCH_SH", "sh", "", SCMP_ARCH_SH},
#else
    {"SCMP_ARCH_SHEB", "sheb", "", 0},
    {"SCMP_ARCH_SH", "sh", "", 0},
#endif
};

const ArchName* arch_by_scmp(std::string_view scmp) {
    for (const auto& entry : arch_names)
        if (entry.scmp == scmp) return &entry;
    return nullptr;
}

const ArchName* arch_by_name(std::string_view name) {
    for (const auto& entry : arch_names)
        if (entry.name == name || (!entry.alias.empty() && entry.alias == name) || entry.scmp == name) return &entry;
    return nullptr;
}

// The profile's short name for an architecture given in any spelling ("386" is "x86"); unknown names stay.
std::string normal_arch(std::string_view name) {
    const auto* entry = arch_by_name(name);
    return entry != nullptr ? std::string(entry->name) : std::string(name);
}

struct ErrnoName {
    std::string_view name;
    int value;
};
#define BERTH_ERRNO(e) \
    { #e, e }
constexpr ErrnoName errno_names[] = {
    BERTH_ERRNO(EPERM),
    BERTH_ERRNO(ENOENT),
    BERTH_ERRNO(ESRCH),
    BERTH_ERRNO(EINTR),
    BERTH_ERRNO(EIO),
    BERTH_ERRNO(ENXIO),
    BERTH_ERRNO(E2BIG),
    BERTH_ERRNO(ENOEXEC),
    BERTH_ERRNO(EBADF),
    BERTH_ERRNO(ECHILD),
    BERTH_ERRNO(EAGAIN),
    BERTH_ERRNO(ENOMEM),
    BERTH_ERRNO(EACCES),
    BERTH_ERRNO(EFAULT),
    BERTH_ERRNO(ENOTBLK),
    BERTH_ERRNO(EBUSY),
    BERTH_ERRNO(EEXIST),
    BERTH_ERRNO(EXDEV),
    BERTH_ERRNO(ENODEV),
    BERTH_ERRNO(ENOTDIR),
    BERTH_ERRNO(EISDIR),
    BERTH_ERRNO(EINVAL),
    BERTH_ERRNO(ENFILE),
    BERTH_ERRNO(EMFILE),
    BERTH_ERRNO(ENOTTY),
    BERTH_ERRNO(ETXTBSY),
    BERTH_ERRNO(EFBIG),
    BERTH_ERRNO(ENOSPC),
    BERTH_ERRNO(ESPIPE),
    BERTH_ERRNO(EROFS),
    BERTH_ERRNO(EMLINK),
    BERTH_ERRNO(EPIPE),
    BERTH_ERRNO(EDOM),
    BERTH_ERRNO(ERANGE),
    BERTH_ERRNO(EDEADLK),
    BERTH_ERRNO(ENAMETOOLONG),
    BERTH_ERRNO(ENOLCK),
    BERTH_ERRNO(ENOSYS),
    BERTH_ERRNO(ENOTEMPTY),
    BERTH_ERRNO(ELOOP),
    BERTH_ERRNO(EWOULDBLOCK),
    BERTH_ERRNO(ENOMSG),
    BERTH_ERRNO(EIDRM),
    BERTH_ERRNO(ENOSTR),
    BERTH_ERRNO(ENODATA),
    BERTH_ERRNO(ETIME),
    BERTH_ERRNO(ENOSR),
    BERTH_ERRNO(EREMOTE),
    BERTH_ERRNO(ENOLINK),
    BERTH_ERRNO(EPROTO),
    BERTH_ERRNO(EMULTIHOP),
    BERTH_ERRNO(EBADMSG),
    BERTH_ERRNO(EOVERFLOW),
    BERTH_ERRNO(EILSEQ),
    BERTH_ERRNO(EUSERS),
    BERTH_ERRNO(ENOTSOCK),
    BERTH_ERRNO(EDESTADDRREQ),
    BERTH_ERRNO(EMSGSIZE),
    BERTH_ERRNO(EPROTOTYPE),
    BERTH_ERRNO(ENOPROTOOPT),
    BERTH_ERRNO(EPROTONOSUPPORT),
    BERTH_ERRNO(ESOCKTNOSUPPORT),
    BERTH_ERRNO(EOPNOTSUPP),
    BERTH_ERRNO(ENOTSUP),
    BERTH_ERRNO(EPFNOSUPPORT),
    BERTH_ERRNO(EAFNOSUPPORT),
    BERTH_ERRNO(EADDRINUSE),
    BERTH_ERRNO(EADDRNOTAVAIL),
    BERTH_ERRNO(ENETDOWN),
    BERTH_ERRNO(ENETUNREACH),
    BERTH_ERRNO(ENETRESET),
    BERTH_ERRNO(ECONNABORTED),
    BERTH_ERRNO(ECONNRESET),
    BERTH_ERRNO(ENOBUFS),
    BERTH_ERRNO(EISCONN),
    BERTH_ERRNO(ENOTCONN),
    BERTH_ERRNO(ESHUTDOWN),
    BERTH_ERRNO(ETOOMANYREFS),
    BERTH_ERRNO(ETIMEDOUT),
    BERTH_ERRNO(ECONNREFUSED),
    BERTH_ERRNO(EHOSTDOWN),
    BERTH_ERRNO(EHOSTUNREACH),
    BERTH_ERRNO(EALREADY),
    BERTH_ERRNO(EINPROGRESS),
    BERTH_ERRNO(ESTALE),
    BERTH_ERRNO(EDQUOT),
    BERTH_ERRNO(ECANCELED),
    BERTH_ERRNO(EOWNERDEAD),
    BERTH_ERRNO(ENOTRECOVERABLE),
    BERTH_ERRNO(ERFKILL),
    BERTH_ERRNO(EHWPOISON),
    BERTH_ERRNO(ENOKEY),
    BERTH_ERRNO(EKEYEXPIRED),
    BERTH_ERRNO(EKEYREVOKED),
    BERTH_ERRNO(EKEYREJECTED),
    BERTH_ERRNO(ENOMEDIUM),
    BERTH_ERRNO(EMEDIUMTYPE),
    BERTH_ERRNO(ENOTUNIQ),
    BERTH_ERRNO(EBADFD),
    BERTH_ERRNO(EREMCHG),
    BERTH_ERRNO(ENOTNAM),
    BERTH_ERRNO(EISNAM),
    BERTH_ERRNO(EREMOTEIO),
    BERTH_ERRNO(EUCLEAN),
};
#undef BERTH_ERRNO

struct FlagName {
    std::string_view name;
    unsigned value;
};
constexpr FlagName flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", 1u << 0},       {"SECCOMP_FILTER_FLAG_LOG", 1u << 1},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", 1u << 2},  {"SECCOMP_FILTER_FLAG_NEW_LISTENER", 1u << 3},
    {"SECCOMP_FILTER_FLAG_TSYNC_ESRCH", 1u << 4}, {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", 1u << 5},
};

// ---- parsing ---------------------------------------------------------------------------------------------------

class Parser {
public:
    explicit Parser(std::string_view origin) : origin_(origin) {}

    [[noreturn]] void fail(const std::string& where, const std::string& why) const {
        throw Error("seccomp profile " + origin_ + ": " + where + ": " + why);
    }

    const json* field(const json& object, const char* key) const {
        auto it = object.find(key);
        if (it == object.end() || it->is_null()) return nullptr;
        return &*it;
    }

    std::string string(const json& value, const std::string& where) const {
        if (!value.is_string()) fail(where, "not a string");
        return value.get<std::string>();
    }

    std::uint64_t number(const json& value, const std::string& where) const {
        if (!value.is_number_unsigned()) {
            if (value.is_number_integer() && value.get<std::int64_t>() >= 0) return value.get<std::uint64_t>();
            fail(where, "not a non-negative integer");
        }
        return value.get<std::uint64_t>();
    }

    std::vector<std::string> strings(const json* value, const std::string& where) const {
        std::vector<std::string> out;
        if (value == nullptr) return out;
        if (!value->is_array()) fail(where, "not a list");
        for (std::size_t i = 0; i < value->size(); ++i)
            out.push_back(string((*value)[i], where + "[" + std::to_string(i) + "]"));
        return out;
    }

    // An errno given by name ("EPERM") or number ("1"), as Podman's "errno" and "defaultErrno".
    std::uint32_t errno_value(const std::string& text, const std::string& where) const {
        if (auto number = parse_unsigned(text); number && *number <= 4095) return static_cast<std::uint32_t>(*number);
        for (const auto& entry : errno_names)
            if (entry.name == text) return static_cast<std::uint32_t>(entry.value);
        fail(where, "unknown errno \"" + text + "\"");
    }

    // The action of a rule or of the default, with its errno from "errno" (a name) or "errnoRet" (a number).
    Action action(const json& object, const char* action_key, const char* errno_key, const char* errno_ret_key,
                  const std::string& where) const {
        const json* name = field(object, action_key);
        if (name == nullptr) fail(where, std::string("no ") + action_key);
        auto text = string(*name, where + "." + action_key);
        Action out;
        bool known = false;
        for (const auto& entry : action_names) {
            if (entry.name == text) {
                out.kind = entry.kind;
                known = true;
            }
        }
        if (!known) fail(where + "." + action_key, "unknown action \"" + text + "\"");
        std::optional<std::uint32_t> value;
        if (const json* ret = field(object, errno_ret_key)) {
            auto number = this->number(*ret, where + "." + errno_ret_key);
            if (number > 0xffff) fail(where + "." + errno_ret_key, "out of range");
            value = static_cast<std::uint32_t>(number);
        }
        if (const json* name_field = field(object, errno_key)) {
            auto errno_text = string(*name_field, where + "." + errno_key);
            if (!errno_text.empty()) value = errno_value(errno_text, where + "." + errno_key);
        }
        // runc's default for SCMP_ACT_ERRNO and SCMP_ACT_TRACE without a value is EPERM.
        if (has_value(out.kind)) out.value = value.value_or(EPERM);
        return out;
    }

    Condition condition(const json* value, const std::string& where) const {
        Condition out;
        if (value == nullptr) return out;
        if (!value->is_object()) fail(where, "not an object");
        out.caps = strings(field(*value, "caps"), where + ".caps");
        for (auto& cap : out.caps) {
            for (auto& c : cap) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
            if (!cap.starts_with("CAP_")) cap = "CAP_" + cap;
        }
        out.arches = strings(field(*value, "arches"), where + ".arches");
        if (const json* kernel = field(*value, "minKernel")) {
            auto text = string(*kernel, where + ".minKernel");
            auto parts = split(text, '.');
            auto major = parts.empty() ? std::nullopt : parse_unsigned(parts[0]);
            auto minor = parts.size() < 2 ? std::optional<unsigned long long>(0) : parse_unsigned(parts[1]);
            if (!major || !minor || parts.size() > 2 || *major > 1000 || *minor > 100000)
                fail(where + ".minKernel", "\"" + text + "\" is not a kernel version like 4.8");
            out.min_kernel = KernelVersion{static_cast<int>(*major), static_cast<int>(*minor)};
        }
        return out;
    }

    ArgCondition arg(const json& value, const std::string& where) const {
        if (!value.is_object()) fail(where, "not an object");
        ArgCondition out;
        const json* index = field(value, "index");
        if (index == nullptr) fail(where, "no index");
        auto number = this->number(*index, where + ".index");
        if (number > 5) fail(where + ".index", "must be 0 to 5");
        out.index = static_cast<unsigned>(number);
        if (const json* v = field(value, "value")) out.value = this->number(*v, where + ".value");
        if (const json* v = field(value, "valueTwo")) out.value_two = this->number(*v, where + ".valueTwo");
        const json* op = field(value, "op");
        if (op == nullptr) fail(where, "no op");
        auto text = string(*op, where + ".op");
        for (const auto& entry : compare_names) {
            if (entry.name == text) {
                out.op = entry.op;
                return out;
            }
        }
        fail(where + ".op", "unknown operator \"" + text + "\"");
    }

    SyscallRule rule(const json& value, const std::string& where) const {
        if (!value.is_object()) fail(where, "not an object");
        SyscallRule out;
        const json* name = field(value, "name");
        const json* names = field(value, "names");
        if (name != nullptr && names != nullptr && !(names->is_array() && names->empty()))
            fail(where, "both name and names given; use one");
        if (name != nullptr) out.names.push_back(string(*name, where + ".name"));
        for (auto& each : strings(names, where + ".names")) out.names.push_back(std::move(each));
        out.action = action(value, "action", "errno", "errnoRet", where);
        if (const json* args = field(value, "args")) {
            if (!args->is_array()) fail(where + ".args", "not a list");
            for (std::size_t i = 0; i < args->size(); ++i)
                out.args.push_back(arg((*args)[i], where + ".args[" + std::to_string(i) + "]"));
        }
        out.includes = condition(field(value, "includes"), where + ".includes");
        out.excludes = condition(field(value, "excludes"), where + ".excludes");
        return out;
    }

    std::string architecture(const json& value, const std::string& where) const {
        auto name = string(value, where);
        if (!name.starts_with("SCMP_ARCH_")) fail(where, "\"" + name + "\" is not an SCMP_ARCH_ name");
        return name;
    }

    Profile profile(const json& document) const {
        if (!document.is_object()) fail("document", "not a JSON object");
        Profile out;
        if (field(document, "defaultAction") == nullptr) fail("defaultAction", "missing");
        out.default_action = action(document, "defaultAction", "defaultErrno", "defaultErrnoRet", "profile");
        if (const json* arches = field(document, "architectures")) {
            if (!arches->is_array()) fail("architectures", "not a list");
            for (std::size_t i = 0; i < arches->size(); ++i)
                out.architectures.push_back(architecture((*arches)[i], "architectures[" + std::to_string(i) + "]"));
        }
        if (const json* map = field(document, "archMap")) {
            if (!map->is_array()) fail("archMap", "not a list");
            for (std::size_t i = 0; i < map->size(); ++i) {
                auto where = "archMap[" + std::to_string(i) + "]";
                const json& entry = (*map)[i];
                if (!entry.is_object()) fail(where, "not an object");
                ArchMapEntry mapped;
                const json* arch = field(entry, "architecture");
                if (arch == nullptr) fail(where, "no architecture");
                mapped.architecture = architecture(*arch, where + ".architecture");
                if (const json* subs = field(entry, "subArchitectures")) {
                    if (!subs->is_array()) fail(where + ".subArchitectures", "not a list");
                    for (std::size_t j = 0; j < subs->size(); ++j)
                        mapped.sub_architectures.push_back(
                            architecture((*subs)[j], where + ".subArchitectures[" + std::to_string(j) + "]"));
                }
                out.arch_map.push_back(std::move(mapped));
            }
        }
        if (!out.architectures.empty() && !out.arch_map.empty())
            fail("architectures", "both architectures and archMap given; use one");
        out.flags = strings(field(document, "flags"), "flags");
        for (const auto& flag : out.flags) {
            bool known = std::any_of(std::begin(flag_names), std::end(flag_names),
                                     [&](const FlagName& entry) { return entry.name == flag; });
            if (!known) fail("flags", "unknown flag \"" + flag + "\"");
        }
        if (const json* path = field(document, "listenerPath")) out.listener_path = string(*path, "listenerPath");
        if (const json* meta = field(document, "listenerMetadata"))
            out.listener_metadata = string(*meta, "listenerMetadata");
        if (const json* syscalls = field(document, "syscalls")) {
            if (!syscalls->is_array()) fail("syscalls", "not a list");
            for (std::size_t i = 0; i < syscalls->size(); ++i)
                out.syscalls.push_back(rule((*syscalls)[i], "syscalls[" + std::to_string(i) + "]"));
        }
        return out;
    }

private:
    std::string origin_;
};

// ---- resolution --------------------------------------------------------------------------------------------------

bool holds(CapabilitySet caps, const std::string& name) {
    auto cap = capability_from_name(name);
    return cap && caps.has(*cap);
}

bool any_arch(const std::vector<std::string>& arches, const std::string& arch) {
    return std::any_of(arches.begin(), arches.end(),
                       [&](const std::string& each) { return normal_arch(each) == arch; });
}

// Whether a rule applies, as Podman (containers/common) and Docker decide it.
bool applies(const SyscallRule& rule, CapabilitySet caps, const std::string& arch, KernelVersion kernel) {
    const auto& ex = rule.excludes;
    if (any_arch(ex.arches, arch)) return false;
    if (std::any_of(ex.caps.begin(), ex.caps.end(), [&](const std::string& cap) { return holds(caps, cap); }))
        return false;
    if (ex.min_kernel && kernel >= *ex.min_kernel) return false;
    const auto& in = rule.includes;
    if (!in.arches.empty() && !any_arch(in.arches, arch)) return false;
    if (!std::all_of(in.caps.begin(), in.caps.end(), [&](const std::string& cap) { return holds(caps, cap); }))
        return false;
    if (in.min_kernel && kernel < *in.min_kernel) return false;
    return true;
}

// ---- compilation -------------------------------------------------------------------------------------------------

std::uint32_t scmp_action(const Action& action) {
    switch (action.kind) {
        case ActionKind::kill_thread: return SCMP_ACT_KILL_THREAD;
        case ActionKind::kill_process: return SCMP_ACT_KILL_PROCESS;
        case ActionKind::trap: return SCMP_ACT_TRAP;
        case ActionKind::errno_ret: return SCMP_ACT_ERRNO(action.value);
        case ActionKind::trace: return SCMP_ACT_TRACE(action.value);
        case ActionKind::allow: return SCMP_ACT_ALLOW;
        case ActionKind::log: return SCMP_ACT_LOG;
        case ActionKind::notify: return SCMP_ACT_NOTIFY;
    }
    return SCMP_ACT_KILL_THREAD;
}

struct ContextDeleter {
    void operator()(void* context) const { seccomp_release(context); }
};
using Context = std::unique_ptr<void, ContextDeleter>;

std::string target_arch(std::string_view arch) { return arch.empty() ? native_arch() : normal_arch(arch); }

std::vector<sock_filter> compile_resolved(const Profile& resolved, const std::string& arch) {
    auto fail = [](const std::string& what, int rc) -> void { throw_errno("seccomp filter: " + what, -rc); };
    if (resolved.default_action.kind == ActionKind::notify)
        throw Error("seccomp profile: defaultAction: SCMP_ACT_NOTIFY is not supported");
    const auto* target = arch_by_name(arch);
    if (target == nullptr || target->token == 0)
        throw Error("seccomp filter: architecture \"" + arch + "\": not known to this libseccomp");

    Context context(seccomp_init(scmp_action(resolved.default_action)));
    if (!context) throw Error("seccomp filter: seccomp_init: failed (bad default action?)");
    void* ctx = context.get();

    std::uint32_t native = seccomp_arch_native();
    bool keep_native = target->token == native;
    std::vector<std::uint32_t> tokens{target->token};
    for (const auto& name : resolved.architectures) {
        if (name == "SCMP_ARCH_NATIVE") {
            keep_native = true;
            continue;
        }
        const auto* entry = arch_by_scmp(name);
        if (entry == nullptr || entry->token == 0) {
            log_debug("seccomp: skipping architecture " + name + " (unknown to libseccomp)");
            continue;
        }
        if (entry->token == native) keep_native = true;
        tokens.push_back(entry->token);
    }
    for (auto token : tokens) {
        int rc = seccomp_arch_add(ctx, token);
        if (rc < 0 && rc != -EEXIST) fail("adding an architecture", rc);
    }
    if (!keep_native) {
        int rc = seccomp_arch_remove(ctx, native);
        if (rc < 0) fail("removing the native architecture", rc);
    }
    // Seccomp_load is never called (the program is exported), so libseccomp must not insist on no_new_privs.
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);

    std::uint32_t default_action = scmp_action(resolved.default_action);
    std::vector<scmp_arg_cmp> conditions;
    for (const auto& rule : resolved.syscalls) {
        if (rule.action.kind == ActionKind::notify)
            throw Error("seccomp profile: SCMP_ACT_NOTIFY is not supported (syscalls " +
                        (rule.names.empty() ? std::string("?") : rule.names.front()) + ")");
        std::uint32_t action = scmp_action(rule.action);
        // libseccomp refuses rules that do what the default does; they change nothing, so runc drops them too.
        if (action == default_action) continue;
        conditions.clear();
        bool same_index = false;
        for (const auto& arg : rule.args) {
            for (const auto& other : conditions)
                if (other.arg == arg.index) same_index = true;
            conditions.push_back(scmp_arg_cmp{arg.index, compare_entry(arg.op).scmp, arg.value, arg.value_two});
        }
        for (const auto& name : rule.names) {
            int nr = seccomp_syscall_resolve_name(name.c_str());
            if (nr == __NR_SCMP_ERROR) {
                log_debug("seccomp: skipping syscall " + name + " (unknown to libseccomp)");
                continue;
            }
            auto add = [&](unsigned count, const scmp_arg_cmp* array) {
                int rc = seccomp_rule_add_array(ctx, action, nr, count, array);
                if (rc < 0) fail("syscall " + name + ": adding a rule", rc);
            };
            // Several comparisons of one argument cannot be one libseccomp rule; like runc, each becomes a rule.
            if (same_index) {
                for (const auto& condition : conditions) add(1, &condition);
            } else {
                add(static_cast<unsigned>(conditions.size()), conditions.empty() ? nullptr : conditions.data());
            }
        }
    }

    UniqueFd memory(static_cast<int>(syscall(SYS_memfd_create, "berth-seccomp", MFD_CLOEXEC)));
    if (!memory) throw_last_errno("seccomp filter: memfd_create");
    if (int rc = seccomp_export_bpf(ctx, memory.get()); rc < 0) fail("seccomp_export_bpf", rc);
    struct stat info {};
    if (fstat(memory.get(), &info) != 0) throw_last_errno("seccomp filter: fstat");
    auto size = static_cast<std::size_t>(info.st_size);
    if (size == 0 || size % sizeof(sock_filter) != 0)
        throw Error("seccomp filter: seccomp_export_bpf: " + std::to_string(size) + " bytes is not a BPF program");
    std::vector<sock_filter> program(size / sizeof(sock_filter));
    auto* bytes = reinterpret_cast<char*>(program.data());
    std::size_t done = 0;
    while (done < size) {
        ssize_t n = pread(memory.get(), bytes + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_last_errno("seccomp filter: reading the exported program");
        if (n == 0) throw Error("seccomp filter: reading the exported program: unexpected end");
        done += static_cast<std::size_t>(n);
    }
    compiled_programs.fetch_add(1, std::memory_order_relaxed);
    return program;
}

// A compact text of everything in a resolved profile that shapes the program, for the cache key.
std::string canonical_text(const Profile& resolved, const std::string& arch) {
    std::string text;
    text.reserve(16384);
    auto action = [&](const Action& a) {
        text += action_name(a.kind);
        text += ':';
        text += std::to_string(a.value);
    };
    text += cache_format;
    const auto* version = seccomp_version();
    text += "\nlibseccomp " + std::to_string(version->major) + "." + std::to_string(version->minor) + "." +
            std::to_string(version->micro);
    text += "\narch " + arch + "\ndefault ";
    action(resolved.default_action);
    text += "\narchitectures";
    for (const auto& name : resolved.architectures) text += " " + name;
    for (const auto& rule : resolved.syscalls) {
        text += "\nrule ";
        action(rule.action);
        for (const auto& arg : rule.args) {
            text += " arg" + std::to_string(arg.index) + ":" + std::string(compare_entry(arg.op).name) + ":" +
                    std::to_string(arg.value) + ":" + std::to_string(arg.value_two);
        }
        text += " |";
        for (const auto& name : rule.names) {
            text += ' ';
            text += name;
        }
    }
    text += '\n';
    return text;
}

// A cache file's name: FNV-1a (64 bits) of the resolved profile's canonical text. The file holds the text
// itself before the program, and a read compares it: a different profile with the same hash is a miss, never
// the wrong filter. (No cryptographic digest is needed, so `run` does not load libcrypto for it.)
std::string cache_name(std::string_view key) {
    std::uint64_t hash = 14695981039346656037ull;
    for (unsigned char c : key) {
        hash ^= c;
        hash *= 1099511628211ull;
    }
    char name[17];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(hash));
    return name;
}

std::optional<std::vector<sock_filter>> read_cached(const std::string& path, std::string_view key) {
    std::optional<std::string> content;
    try {
        content = read_file_if_exists(path);
    } catch (const Error& error) {
        log_debug(std::string("seccomp cache: ") + error.what());
        return std::nullopt;
    }
    if (!content) return std::nullopt;
    std::size_t header = sizeof cache_magic + sizeof(std::uint64_t);
    std::uint64_t key_size = 0;
    if (content->size() >= header) std::memcpy(&key_size, content->data() + sizeof cache_magic, sizeof key_size);
    if (content->size() < header || std::memcmp(content->data(), cache_magic, sizeof cache_magic) != 0 ||
        key_size > content->size() - header) {
        log_debug("seccomp cache: ignoring malformed " + path);
        return std::nullopt;
    }
    if (std::string_view(*content).substr(header, key_size) != key) return std::nullopt;  // another profile
    std::size_t body = content->size() - header - key_size;
    if (body == 0 || body % sizeof(sock_filter) != 0) {
        log_debug("seccomp cache: ignoring malformed " + path);
        return std::nullopt;
    }
    std::vector<sock_filter> program(body / sizeof(sock_filter));
    std::memcpy(program.data(), content->data() + header + key_size, body);
    return program;
}

void write_cached(const std::string& directory, const std::string& path, std::string_view key,
                  const std::vector<sock_filter>& program) {
    try {
        make_directories(directory, 0700);
        std::string content(cache_magic, sizeof cache_magic);
        std::uint64_t key_size = key.size();
        content.append(reinterpret_cast<const char*>(&key_size), sizeof key_size);
        content.append(key);
        content.append(reinterpret_cast<const char*>(program.data()), program.size() * sizeof(sock_filter));
        write_file_atomic(path, content, 0600);
    } catch (const Error& error) {
        log_debug(std::string("seccomp cache: not saved: ") + error.what());
    }
}

}  // namespace

Profile parse_profile(std::string_view json_text, std::string_view origin) {
    json document;
    try {
        document = json::parse(json_text);
    } catch (const json::exception& error) {
        std::string why = error.what();
        if (auto colon = why.find("] "); colon != std::string::npos) why.erase(0, colon + 2);
        throw Error("seccomp profile " + std::string(origin) + ": not valid JSON: " + why);
    }
    return Parser(origin).profile(document);
}

Profile profile_from_json(const nlohmann::json& document, std::string_view origin) {
    return Parser(origin).profile(document);
}

nlohmann::json to_oci_json(const Profile& resolved) {
    json out = json::object();
    out["defaultAction"] = action_name(resolved.default_action.kind);
    if (has_value(resolved.default_action.kind)) out["defaultErrnoRet"] = resolved.default_action.value;
    if (!resolved.architectures.empty()) out["architectures"] = resolved.architectures;
    if (!resolved.flags.empty()) out["flags"] = resolved.flags;
    if (!resolved.listener_path.empty()) out["listenerPath"] = resolved.listener_path;
    if (!resolved.listener_metadata.empty()) out["listenerMetadata"] = resolved.listener_metadata;
    json syscalls = json::array();
    for (const auto& rule : resolved.syscalls) {
        json entry = json::object();
        entry["names"] = rule.names;
        entry["action"] = action_name(rule.action.kind);
        if (has_value(rule.action.kind)) entry["errnoRet"] = rule.action.value;
        if (!rule.args.empty()) {
            json args = json::array();
            for (const auto& arg : rule.args) {
                args.push_back({{"index", arg.index},
                                {"value", arg.value},
                                {"valueTwo", arg.value_two},
                                {"op", compare_entry(arg.op).name}});
            }
            entry["args"] = std::move(args);
        }
        syscalls.push_back(std::move(entry));
    }
    out["syscalls"] = std::move(syscalls);
    return out;
}

std::string native_arch() {
    std::uint32_t token = seccomp_arch_native();
    for (const auto& entry : arch_names)
        if (entry.token == token && token != 0) return std::string(entry.name);
    return "unknown";
}

KernelVersion running_kernel() {
    static const KernelVersion version = [] {
        utsname name{};
        KernelVersion out;
        if (uname(&name) != 0) return out;
        auto parts = split(name.release, '.');
        auto leading = [](const std::string& text) {
            int value = 0;
            for (char c : text) {
                if (c < '0' || c > '9' || value > 100000) break;
                value = value * 10 + (c - '0');
            }
            return value;
        };
        if (!parts.empty()) out.major = leading(parts[0]);
        if (parts.size() > 1) out.minor = leading(parts[1]);
        return out;
    }();
    return version;
}

Profile resolve(const Profile& profile, CapabilitySet caps, std::string_view arch,
                std::optional<KernelVersion> kernel) {
    std::string target = target_arch(arch);
    KernelVersion version = kernel ? *kernel : running_kernel();
    Profile out;
    out.default_action = profile.default_action;
    out.flags = profile.flags;
    out.listener_path = profile.listener_path;
    out.listener_metadata = profile.listener_metadata;
    out.architectures = profile.architectures;
    // archMap: the entry of the target architecture gives it and its sub-architectures; without one, only the
    // target's own architecture is allowed (as Podman does for a profile that does not know the host).
    for (const auto& entry : profile.arch_map) {
        const auto* mapped = arch_by_scmp(entry.architecture);
        if (mapped == nullptr || mapped->name != target) continue;
        out.architectures.push_back(entry.architecture);
        for (const auto& sub : entry.sub_architectures) out.architectures.push_back(sub);
        break;
    }
    for (const auto& rule : profile.syscalls) {
        if (rule.names.empty() || !applies(rule, caps, target, version)) continue;
        SyscallRule kept;
        kept.names = rule.names;
        kept.action = rule.action;
        kept.args = rule.args;
        out.syscalls.push_back(std::move(kept));
    }
    return out;
}

std::vector<sock_filter> compile_filter(const Profile& profile, CapabilitySet caps, std::string_view arch) {
    std::string target = target_arch(arch);
    return compile_resolved(resolve(profile, caps, target), target);
}

std::vector<sock_filter> compiled_filter(const Profile& profile, CapabilitySet caps, const std::string& cache_dir,
                                         std::string_view arch) {
    std::string target = target_arch(arch);
    Profile resolved = resolve(profile, caps, target);
    std::string directory = cache_dir + "/seccomp";
    std::string key = canonical_text(resolved, target);
    std::string path = directory + "/" + cache_name(key) + ".bpf";
    if (auto cached = read_cached(path, key)) return std::move(*cached);
    auto program = compile_resolved(resolved, target);
    write_cached(directory, path, key, program);
    return program;
}

std::uint64_t compile_count() { return compiled_programs.load(std::memory_order_relaxed); }

unsigned filter_flags(const Profile& profile) {
    unsigned flags = 0;
    for (const auto& flag : profile.flags)
        for (const auto& entry : flag_names)
            if (entry.name == flag) flags |= entry.value;
    return flags;
}

int load_filter(const sock_filter* program, std::size_t instructions, unsigned flags) noexcept {
    sock_fprog fprog{};
    fprog.len = static_cast<unsigned short>(instructions);
    fprog.filter = const_cast<sock_filter*>(program);
    if (instructions == 0 || instructions > 0xffff) return EINVAL;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog) == 0) return 0;
    int err = errno;
    if (err == ENOSYS && flags == 0) {
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) == 0) return 0;
        err = errno;
    }
    return err;
}

}  // namespace berth::runtime::seccomp
