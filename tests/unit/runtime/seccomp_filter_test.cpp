#include "runtime/seccomp_filter.hpp"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"

#ifndef NETLINK_AUDIT
#define NETLINK_AUDIT 9
#endif

namespace berth::runtime::seccomp {
namespace {

const char* docker_profile = R"({
    "defaultAction": "SCMP_ACT_ERRNO",
    "defaultErrnoRet": 38,
    "archMap": [
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
    ],
    "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW", "args": [], "comment": "", "includes": {},
         "excludes": {}},
        {"name": "kexec_load", "action": "SCMP_ACT_ERRNO", "errno": "EPERM"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 131080, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}],
         "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
        {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
        {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
        {"names": ["bpf"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["sys_admin", "CAP_BPF"]}},
        {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "args": null, "includes": {"arches": ["amd64", "x32"]}},
        {"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 22, "errno": "EINVAL",
         "excludes": {"caps": ["CAP_AUDIT_WRITE"]}}
    ]
})";

const char* oci_profile = R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
        {"names": ["getppid"], "action": "SCMP_ACT_KILL_PROCESS"},
        {"names": ["umask"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["ioctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "args": [{"index": 1, "value": 21524, "op": "SCMP_CMP_EQ"}]}
    ]
})";

std::vector<std::string> names_of(const Profile& profile) {
    std::vector<std::string> out;
    for (const auto& rule : profile.syscalls)
        for (const auto& name : rule.names) out.push_back(name);
    return out;
}

bool has_name(const Profile& profile, std::string_view name) {
    auto names = names_of(profile);
    return std::find(names.begin(), names.end(), name) != names.end();
}

TEST(SeccompProfile, ParsesDockersFormat) {
    auto profile = parse_profile(docker_profile, "docker.json");
    EXPECT_EQ(profile.default_action, (Action{ActionKind::errno_ret, ENOSYS}));
    ASSERT_EQ(profile.arch_map.size(), 2u);
    EXPECT_EQ(profile.arch_map[0].architecture, "SCMP_ARCH_X86_64");
    EXPECT_EQ(profile.arch_map[0].sub_architectures, (std::vector<std::string>{"SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
    ASSERT_EQ(profile.syscalls.size(), 9u);
    EXPECT_EQ(profile.syscalls[0].names, (std::vector<std::string>{"read", "write"}));
    EXPECT_EQ(profile.syscalls[0].action, (Action{ActionKind::allow, 0}));
    EXPECT_EQ(profile.syscalls[1].names, (std::vector<std::string>{"kexec_load"}));
    EXPECT_EQ(profile.syscalls[1].action, (Action{ActionKind::errno_ret, EPERM}));
    EXPECT_EQ(profile.syscalls[2].args, (std::vector<ArgCondition>{{0, 131080, 0, Compare::eq}}));
    EXPECT_EQ(profile.syscalls[3].args, (std::vector<ArgCondition>{{0, 2114060288, 0, Compare::masked_eq}}));
    EXPECT_EQ(profile.syscalls[3].excludes.caps, (std::vector<std::string>{"CAP_SYS_ADMIN"}));
    EXPECT_EQ(profile.syscalls[3].excludes.arches, (std::vector<std::string>{"s390", "s390x"}));
    EXPECT_EQ(profile.syscalls[4].includes.caps, (std::vector<std::string>{"CAP_SYS_CHROOT"}));
    EXPECT_EQ(profile.syscalls[5].includes.min_kernel, (KernelVersion{4, 8}));
    EXPECT_EQ(profile.syscalls[6].includes.caps, (std::vector<std::string>{"CAP_SYS_ADMIN", "CAP_BPF"}));
    EXPECT_TRUE(profile.syscalls[7].args.empty());
    EXPECT_EQ(profile.syscalls[8].action, (Action{ActionKind::errno_ret, EINVAL}));
}

TEST(SeccompProfile, ParsesTheRuntimeSpecsForm) {
    auto profile = parse_profile(oci_profile, "config.json");
    EXPECT_EQ(profile.default_action, (Action{ActionKind::allow, 0}));
    EXPECT_EQ(profile.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86"}));
    EXPECT_EQ(profile.flags, (std::vector<std::string>{"SECCOMP_FILTER_FLAG_LOG"}));
    EXPECT_EQ(filter_flags(profile), 2u);
    ASSERT_EQ(profile.syscalls.size(), 4u);
    EXPECT_EQ(profile.syscalls[0].action, (Action{ActionKind::errno_ret, EACCES}));
    EXPECT_EQ(profile.syscalls[1].action, (Action{ActionKind::kill_process, 0}));
    EXPECT_EQ(profile.syscalls[2].action, (Action{ActionKind::errno_ret, EPERM}));  // runc's default errno
    EXPECT_EQ(profile.syscalls[3].args, (std::vector<ArgCondition>{{1, 21524, 0, Compare::eq}}));
}

TEST(SeccompProfile, OciJsonRoundTrip) {
    auto resolved = resolve(default_profile(), default_capabilities(), "amd64");
    auto text = to_oci_json(resolved).dump();
    auto again = parse_profile(text, "config.json");
    EXPECT_EQ(again, resolved);
    EXPECT_EQ(to_oci_json(again).dump(), text);
    auto json = to_oci_json(resolved);
    EXPECT_EQ(json["defaultAction"], "SCMP_ACT_ERRNO");
    EXPECT_EQ(json["defaultErrnoRet"], 38);
    EXPECT_EQ(json["architectures"], nlohmann::json({"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
}

void expect_error(const char* text, const std::string& message) {
    try {
        parse_profile(text, "p.json");
        ADD_FAILURE() << "no error for " << text;
    } catch (const Error& error) {
        EXPECT_EQ(error.what(), message);
    }
}

TEST(SeccompProfile, ErrorsSayWhereAndWhy) {
    expect_error("{",
                 "seccomp profile p.json: not valid JSON: parse error at line 1, column 2: syntax error while parsing "
                 "object key - unexpected end of input; expected string literal");
    expect_error("[]", "seccomp profile p.json: document: not a JSON object");
    expect_error("{}", "seccomp profile p.json: defaultAction: missing");
    expect_error(R"({"defaultAction": "SCMP_ACT_MAYBE"})",
                 "seccomp profile p.json: profile.defaultAction: unknown action \"SCMP_ACT_MAYBE\"");
    expect_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
                     "errno": "EWHAT"}]})",
                 "seccomp profile p.json: syscalls[0].errno: unknown errno \"EWHAT\"");
    expect_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"name": "read", "names": ["write"],
                     "action": "SCMP_ACT_ALLOW"}]})",
                 "seccomp profile p.json: syscalls[0]: both name and names given; use one");
    expect_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                     "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]})",
                 "seccomp profile p.json: syscalls[0].args[0].index: must be 0 to 5");
    expect_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                     "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_ABOUT"}]}]})",
                 "seccomp profile p.json: syscalls[0].args[0].op: unknown operator \"SCMP_CMP_ABOUT\"");
    expect_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86"],
                     "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]})",
                 "seccomp profile p.json: architectures: both architectures and archMap given; use one");
    expect_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["x86_64"]})",
                 "seccomp profile p.json: architectures[0]: \"x86_64\" is not an SCMP_ARCH_ name");
    expect_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_FAST"]})",
                 "seccomp profile p.json: flags: unknown flag \"SECCOMP_FILTER_FLAG_FAST\"");
    expect_error(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                     "includes": {"minKernel": "four"}}]})",
                 "seccomp profile p.json: syscalls[0].includes.minKernel: \"four\" is not a kernel version like 4.8");
}

TEST(SeccompProfile, IncludesAndExcludesFollowCapabilities) {
    auto profile = parse_profile(docker_profile, "docker.json");
    KernelVersion kernel{6, 1};
    auto plain = resolve(profile, default_capabilities(), "amd64", kernel);
    EXPECT_TRUE(has_name(plain, "chroot"));  // CAP_SYS_CHROOT is a default capability
    EXPECT_TRUE(has_name(plain, "clone"));   // excluded only with CAP_SYS_ADMIN
    EXPECT_FALSE(has_name(plain, "bpf"));    // needs both CAP_SYS_ADMIN and CAP_BPF
    EXPECT_TRUE(has_name(plain, "socket"));  // refused without CAP_AUDIT_WRITE

    auto admin = resolve(profile, CapabilitySet(default_capabilities()).add(CAP_SYS_ADMIN), "amd64", kernel);
    EXPECT_FALSE(has_name(admin, "clone"));
    EXPECT_FALSE(has_name(admin, "bpf"));
    auto both = resolve(profile, CapabilitySet().add(CAP_SYS_ADMIN).add(CAP_BPF).add(CAP_AUDIT_WRITE), "amd64", kernel);
    EXPECT_TRUE(has_name(both, "bpf"));
    EXPECT_FALSE(has_name(both, "chroot"));
    EXPECT_FALSE(has_name(both, "socket"));
    for (const auto& rule : both.syscalls) {
        EXPECT_TRUE(rule.includes.empty());
        EXPECT_TRUE(rule.excludes.empty());
    }
}

TEST(SeccompProfile, IncludesAndExcludesFollowArchitectureAndKernel) {
    auto profile = parse_profile(docker_profile, "docker.json");
    auto amd64 = resolve(profile, {}, "amd64", KernelVersion{4, 8});
    EXPECT_TRUE(has_name(amd64, "arch_prctl"));
    EXPECT_TRUE(has_name(amd64, "ptrace"));
    EXPECT_EQ(amd64.architectures, (std::vector<std::string>{"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"}));
    EXPECT_TRUE(amd64.arch_map.empty());

    auto arm64 = resolve(profile, {}, "arm64", KernelVersion{4, 7});
    EXPECT_FALSE(has_name(arm64, "arch_prctl"));
    EXPECT_FALSE(has_name(arm64, "ptrace"));
    EXPECT_EQ(arm64.architectures, (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));

    auto s390x = resolve(profile, {}, "s390x", KernelVersion{5, 0});
    EXPECT_FALSE(has_name(s390x, "clone"));
    EXPECT_TRUE(s390x.architectures.empty());  // no archMap entry: only the native architecture

    // Go's spellings of architectures mean the same.
    EXPECT_EQ(resolve(profile, {}, "x86_64", KernelVersion{4, 8}), amd64);
}

TEST(SeccompProfile, DefaultProfileFollowsPodman) {
    const auto& profile = default_profile();
    EXPECT_EQ(profile.default_action, (Action{ActionKind::errno_ret, ENOSYS}));
    auto plain = resolve(profile, default_capabilities(), "amd64");
    std::size_t allowed = 0;
    for (const auto& rule : plain.syscalls)
        if (rule.action.kind == ActionKind::allow && rule.args.empty()) allowed += rule.names.size();
    EXPECT_GT(allowed, 350u);
    EXPECT_TRUE(has_name(plain, "arch_prctl"));
    EXPECT_FALSE(has_name(plain, "s390_runtime_instr"));
    EXPECT_FALSE(has_name(plain, "io_uring_setup"));
    auto arm = resolve(profile, default_capabilities(), "arm64");
    EXPECT_FALSE(has_name(arm, "arch_prctl"));
    EXPECT_TRUE(has_name(arm, "cacheflush"));
    EXPECT_EQ(arm.architectures, (std::vector<std::string>{"SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"}));
}

TEST(SeccompFilter, UnknownSyscallNamesAreSkipped) {
    auto profile = parse_profile(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_PA_RISC_9000"],
        "syscalls": [{"names": ["no_such_call", "mkdir"], "action": "SCMP_ACT_ERRNO"}]})",
                                 "p.json");
    auto program = compile_filter(profile, {});
    EXPECT_GT(program.size(), 3u);
}

// Runs `body` in a child after no_new_privs and the program; returns what it wrote, or why it failed.
std::vector<long> in_filtered_child(const std::vector<sock_filter>& program, unsigned flags,
                                    const std::function<std::vector<long>()>& body) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw_last_errno("pipe2");
    pid_t pid = fork();
    if (pid < 0) throw_last_errno("fork");
    if (pid == 0) {
        close(fds[0]);
        std::vector<long> results;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(10);
        if (int err = load_filter(program.data(), program.size(), flags)) _exit(20 + (err & 63));
        results = body();
        auto bytes = static_cast<ssize_t>(results.size() * sizeof(long));
        _exit(write(fds[1], results.data(), static_cast<size_t>(bytes)) == bytes ? 0 : 11);
    }
    close(fds[1]);
    std::vector<long> results;
    long value = 0;
    while (read(fds[0], &value, sizeof value) == static_cast<ssize_t>(sizeof value)) results.push_back(value);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
    return results;
}

// The errno of a failing call, 0 when it succeeds.
long error_of(long result) { return result < 0 ? errno : 0; }

TEST(SeccompFilter, DefaultProfileInARealProcess) {
    auto program = compile_filter(default_profile(), default_capabilities());
    auto results = in_filtered_child(program, 0, [] {
        std::vector<long> out;
        out.push_back(syscall(SYS_getpid) == getpid() ? 0 : -1);
        out.push_back(error_of(syscall(SYS_kexec_load, 0, 0, 0, 0)));
        out.push_back(error_of(syscall(SYS_userfaultfd, 0)));
        out.push_back(error_of(syscall(SYS_io_uring_setup, 1, nullptr)));  // not in the profile
        out.push_back(error_of(syscall(SYS_acct, nullptr)));               // CAP_SYS_PACCT is not held
        out.push_back(error_of(syscall(SYS_chroot, "/no/such/dir")));      // CAP_SYS_CHROOT is held
        out.push_back(error_of(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT)));
        out.push_back(error_of(personality(0xffffffff)));
        out.push_back(error_of(personality(PER_BSD)));
        out.push_back(error_of(syscall(SYS_mkdir, "/", 0700)));
        return out;
    });
    EXPECT_EQ(results, (std::vector<long>{0, EPERM, EPERM, ENOSYS, EPERM, ENOENT, EINVAL, 0, ENOSYS, EEXIST}));
}

TEST(SeccompFilter, CapabilitiesOpenTheGatedCalls) {
    auto caps = CapabilitySet(default_capabilities()).remove(CAP_SYS_CHROOT).add(CAP_AUDIT_WRITE);
    auto program = compile_filter(default_profile(), caps);
    auto results = in_filtered_child(program, 0, [] {
        std::vector<long> out;
        out.push_back(error_of(syscall(SYS_chroot, "/no/such/dir")));
        long fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
        out.push_back(fd >= 0 ? 0 : (errno == EINVAL ? EINVAL : 0));
        return out;
    });
    EXPECT_EQ(results, (std::vector<long>{EPERM, 0}));
}

TEST(SeccompFilter, CustomProfileRefusesMkdirWithEacces) {
    TempDir dir("/tmp", "berth-seccomp-");
    auto program = compile_filter(parse_profile(oci_profile, "config.json"), {});
    std::string target = dir.path() + "/made";
    auto results = in_filtered_child(program, 0, [&] {
        std::vector<long> out;
        out.push_back(error_of(mkdir(target.c_str(), 0700)));
        out.push_back(error_of(syscall(SYS_mkdirat, AT_FDCWD, target.c_str(), 0700)));
        out.push_back(error_of(access(dir.path().c_str(), W_OK)));
        out.push_back(error_of(syscall(SYS_umask, 022)));
        return out;
    });
    EXPECT_EQ(results, (std::vector<long>{EACCES, EACCES, 0, EPERM}));
    EXPECT_FALSE(path_exists(target));
}

TEST(SeccompFilter, CacheReturnsTheSameProgramWithoutCompiling) {
    TempDir dir("/tmp", "berth-seccomp-cache-");
    auto before = compile_count();
    auto first = compiled_filter(default_profile(), default_capabilities(), dir.path());
    EXPECT_EQ(compile_count(), before + 1);
    auto files = list_directory(dir.path() + "/seccomp");
    ASSERT_EQ(files.size(), 1u);
    EXPECT_TRUE(files[0].ends_with(".bpf"));

    auto second = compiled_filter(default_profile(), default_capabilities(), dir.path());
    EXPECT_EQ(compile_count(), before + 1);
    ASSERT_EQ(second.size(), first.size());
    EXPECT_EQ(std::memcmp(first.data(), second.data(), first.size() * sizeof(sock_filter)), 0);
    auto direct = compile_filter(default_profile(), default_capabilities());
    ASSERT_EQ(direct.size(), first.size());
    EXPECT_EQ(std::memcmp(first.data(), direct.data(), first.size() * sizeof(sock_filter)), 0);

    // Capabilities that change the rules make another program; ones that do not share it.
    before = compile_count();
    compiled_filter(default_profile(), CapabilitySet(default_capabilities()).add(CAP_SYS_ADMIN), dir.path());
    EXPECT_EQ(compile_count(), before + 1);
    compiled_filter(default_profile(), CapabilitySet(default_capabilities()).add(CAP_NET_RAW), dir.path());
    EXPECT_EQ(compile_count(), before + 1);
    EXPECT_EQ(list_directory(dir.path() + "/seccomp").size(), 2u);

    // A damaged cache file is compiled again and replaced.
    std::string path = dir.path() + "/seccomp/" + files[0];
    write_file_atomic(path, "BERTHBPF123");
    before = compile_count();
    auto third = compiled_filter(default_profile(), default_capabilities(), dir.path());
    EXPECT_EQ(compile_count(), before + 1);
    ASSERT_EQ(third.size(), first.size());
    EXPECT_EQ(std::memcmp(first.data(), third.data(), first.size() * sizeof(sock_filter)), 0);
    auto replaced = read_file(path);
    ASSERT_GT(replaced.size(), first.size() * sizeof(sock_filter));
    EXPECT_EQ(std::memcmp(replaced.data() + replaced.size() - first.size() * sizeof(sock_filter), first.data(),
                          first.size() * sizeof(sock_filter)),
              0);

    // A file under the same name holding another profile's program (a hash collision) is a miss, never used.
    std::string other_key = "another profile";
    std::uint64_t key_size = other_key.size();
    std::string forged("BERTHBP2", 8);
    forged.append(reinterpret_cast<const char*>(&key_size), sizeof key_size);
    forged += other_key;
    forged.append(reinterpret_cast<const char*>(first.data()), sizeof(sock_filter));
    write_file_atomic(path, forged);
    before = compile_count();
    auto fourth = compiled_filter(default_profile(), default_capabilities(), dir.path());
    EXPECT_EQ(compile_count(), before + 1);
    EXPECT_EQ(fourth.size(), first.size());
}

TEST(SeccompFilter, UnwritableCacheStillGivesAProgram) {
    auto before = compile_count();
    auto program = compiled_filter(default_profile(), default_capabilities(), "/proc/no-such-dir");
    EXPECT_EQ(compile_count(), before + 1);
    EXPECT_FALSE(program.empty());
}

}  // namespace
}  // namespace berth::runtime::seccomp
