#include "runtime/capabilities.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "common/error.hpp"

namespace berth::runtime {
namespace {

CapabilitySet set_of(std::initializer_list<int> caps) {
    CapabilitySet set;
    for (int cap : caps) set.add(cap);
    return set;
}

TEST(Capabilities, NamesInEverySpelling) {
    EXPECT_EQ(capability_from_name("CAP_CHOWN"), CAP_CHOWN);
    EXPECT_EQ(capability_from_name("cap_chown"), CAP_CHOWN);
    EXPECT_EQ(capability_from_name("CHOWN"), CAP_CHOWN);
    EXPECT_EQ(capability_from_name("chown"), CAP_CHOWN);
    EXPECT_EQ(capability_from_name("Sys_Admin"), CAP_SYS_ADMIN);
    EXPECT_EQ(capability_from_name("net_bind_service"), CAP_NET_BIND_SERVICE);
    EXPECT_EQ(capability_from_name("CAP_AUDIT_READ"), CAP_AUDIT_READ);
    EXPECT_EQ(capability_from_name("ALL"), std::nullopt);
    EXPECT_EQ(capability_from_name("all"), std::nullopt);
    EXPECT_EQ(capability_from_name("CAP_NOPE"), std::nullopt);
    EXPECT_EQ(capability_from_name("12"), std::nullopt);
    EXPECT_EQ(capability_from_name("CAP_"), std::nullopt);
    EXPECT_EQ(capability_from_name(""), std::nullopt);
    EXPECT_EQ(capability_from_name("chown,kill"), std::nullopt);
}

TEST(Capabilities, NameOfNumber) {
    EXPECT_EQ(capability_name(CAP_CHOWN), "CAP_CHOWN");
    EXPECT_EQ(capability_name(CAP_SYS_ADMIN), "CAP_SYS_ADMIN");
    EXPECT_EQ(capability_name(CAP_NET_BIND_SERVICE), "CAP_NET_BIND_SERVICE");
    for (int cap = 0; cap <= last_capability(); ++cap) EXPECT_EQ(capability_from_name(capability_name(cap)), cap);
}

TEST(Capabilities, UnknownNameIsAOneLineError) {
    try {
        parse_capability("CAP_FLY");
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "invalid capability \"CAP_FLY\": unknown capability");
    }
    EXPECT_THROW(capability_set({"chown", "ALL"}), Error);
}

TEST(Capabilities, PodmansDefaultSet) {
    EXPECT_EQ(default_capabilities().names(),
              (std::vector<std::string>{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
                                        "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP",
                                        "CAP_SETUID", "CAP_SYS_CHROOT"}));
    EXPECT_EQ(default_capabilities(),
              capability_set({"chown", "dac_override", "fowner", "fsetid", "kill", "net_bind_service", "setfcap",
                              "setgid", "setpcap", "setuid", "sys_chroot"}));
}

TEST(Capabilities, KernelSets) {
    EXPECT_GE(last_capability(), CAP_AUDIT_READ);
    EXPECT_TRUE(all_capabilities().has(last_capability()));
    EXPECT_FALSE(all_capabilities().has(last_capability() + 1));
    auto bounding = current_bounding_set();
    EXPECT_EQ(bounding & all_capabilities(), bounding);
}

TEST(Capabilities, AddAndDrop) {
    auto base = default_capabilities();
    EXPECT_EQ(adjust_capabilities(base, {}, {}), base);
    auto adjusted = adjust_capabilities(base, {"NET_ADMIN", "cap_sys_ptrace"}, {"CAP_CHOWN", "kill"});
    EXPECT_EQ(adjusted, CapabilitySet(base).remove(CAP_CHOWN).remove(CAP_KILL).add(CAP_NET_ADMIN).add(CAP_SYS_PTRACE));
    // Dropping what is not there, or adding what is, changes nothing.
    EXPECT_EQ(adjust_capabilities(base, {"CHOWN"}, {"SYS_ADMIN"}), base);
}

TEST(Capabilities, DropAllKeepsOnlyTheAdded) {
    auto base = default_capabilities();
    EXPECT_EQ(adjust_capabilities(base, {}, {"ALL"}), CapabilitySet());
    EXPECT_EQ(adjust_capabilities(base, {"net_raw", "CAP_CHOWN"}, {"all"}), set_of({CAP_NET_RAW, CAP_CHOWN}));
    // As Podman: with ALL dropped, naming one capability in both lists is fine.
    EXPECT_EQ(adjust_capabilities(base, {"CHOWN"}, {"ALL", "CHOWN"}), set_of({CAP_CHOWN}));
}

TEST(Capabilities, AddAllStartsFromTheBoundingSet) {
    auto everything = set_of({CAP_CHOWN, CAP_KILL, CAP_SYS_ADMIN, CAP_NET_ADMIN});
    EXPECT_EQ(adjust_capabilities(default_capabilities(), {"ALL"}, {}, everything), everything);
    EXPECT_EQ(adjust_capabilities(default_capabilities(), {"ALL", "CHOWN"}, {"SYS_ADMIN", "CHOWN"}, everything),
              set_of({CAP_KILL, CAP_NET_ADMIN}));
    EXPECT_EQ(adjust_capabilities(CapabilitySet(), {"ALL"}, {}), current_bounding_set());
}

TEST(Capabilities, ContradictionsAreErrors) {
    EXPECT_THROW(adjust_capabilities(default_capabilities(), {"ALL"}, {"ALL"}), Error);
    try {
        adjust_capabilities(default_capabilities(), {"NET_ADMIN"}, {"cap_net_admin"});
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "invalid capabilities: capability \"CAP_NET_ADMIN\" cannot be dropped and added");
    }
    EXPECT_THROW(adjust_capabilities(default_capabilities(), {"CAP_WINGS"}, {}), Error);
    EXPECT_THROW(adjust_capabilities(default_capabilities(), {}, {"CAP_WINGS"}), Error);
}

TEST(Capabilities, ProcessSetsAsPodmanGivesThem) {
    auto caps = default_capabilities();
    auto root = container_process_capabilities(caps, set_of({CAP_NET_RAW}), true);
    EXPECT_EQ(root.bounding, caps);
    EXPECT_EQ(root.effective, caps);
    EXPECT_EQ(root.permitted, caps);
    EXPECT_TRUE(root.inheritable.empty());
    EXPECT_TRUE(root.ambient.empty());

    auto user = container_process_capabilities(CapabilitySet(caps).add(CAP_NET_RAW), set_of({CAP_NET_RAW}), false);
    EXPECT_EQ(user.bounding, CapabilitySet(caps).add(CAP_NET_RAW));
    EXPECT_EQ(user.effective, set_of({CAP_NET_RAW}));
    EXPECT_EQ(user.permitted, set_of({CAP_NET_RAW}));
    EXPECT_EQ(user.inheritable, set_of({CAP_NET_RAW}));
    EXPECT_EQ(user.ambient, set_of({CAP_NET_RAW}));
}

TEST(Capabilities, StatusLines) {
    auto sets = parse_status_capabilities(
        "Name:\tcat\nUid:\t0\t0\t0\t0\nCapInh:\t0000000000000000\nCapPrm:\t00000000800405fb\n"
        "CapEff:\t00000000800405fb\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000400\nSeccomp:\t2\n");
    EXPECT_TRUE(sets.inheritable.empty());
    EXPECT_EQ(sets.permitted.bits(), 0x800405fbu);
    EXPECT_EQ(sets.effective.bits(), 0x800405fbu);
    EXPECT_EQ(sets.bounding.bits(), 0x1ffffffffffu);
    EXPECT_EQ(sets.ambient, set_of({CAP_NET_BIND_SERVICE}));
    // Podman's default set, as a container shows it.
    EXPECT_EQ(sets.permitted, default_capabilities());
    EXPECT_THROW(parse_status_capabilities("CapInh:\t0\nCapPrm:\t0\n"), Error);
    EXPECT_THROW(parse_status_capabilities("CapInh:\tzz\nCapPrm:\t0\nCapEff:\t0\nCapBnd:\t0\nCapAmb:\t0\n"), Error);
}

TEST(Capabilities, PrepareRefusesImpossibleSets) {
    ProcessCapabilities sets;
    sets.bounding = default_capabilities();
    sets.permitted = set_of({CAP_CHOWN});
    sets.effective = set_of({CAP_CHOWN});
    sets.ambient = set_of({CAP_CHOWN});
    // Ambient without inheritable cannot be raised: left out, as runc does (its default spec asks for it).
    EXPECT_TRUE(prepare_capabilities(sets).sets.ambient.empty());
    sets.inheritable = set_of({CAP_CHOWN});
    auto prepared = prepare_capabilities(sets);
    EXPECT_EQ(prepared.sets, sets);
    EXPECT_EQ(prepared.last_cap, last_capability());
    sets.effective.add(CAP_KILL);
    EXPECT_THROW(prepare_capabilities(sets), Error);  // effective beyond permitted
}

// Enters a new user namespace mapping this process's ids to root, so that it holds every capability there.
bool enter_user_namespace() {
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER) != 0) return false;
    auto write = [](const char* path, const std::string& text) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) return false;
        bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        close(fd);
        return ok;
    };
    write("/proc/self/setgroups", "deny");
    return write("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n") &&
           write("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n");
}

// Applies the sets in a child (in a new user namespace when asked, or when not root) and returns its
// /proc/self/status afterwards.
std::string status_after_applying(const ProcessCapabilities& sets, bool user_namespace, std::string* failure) {
    auto prepared = prepare_capabilities(sets);
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw_last_errno("pipe2");
    pid_t pid = fork();
    if (pid < 0) throw_last_errno("fork");
    if (pid == 0) {
        close(pipe_fds[0]);
        auto report = [&](const std::string& text) {
            (void)!write(pipe_fds[1], text.data(), text.size());
            _exit(0);
        };
        if ((user_namespace || geteuid() != 0) && !enter_user_namespace()) report("ERROR user namespace");
        const char* step = nullptr;
        if (int err = apply_capabilities(prepared, &step))
            report(std::string("ERROR ") + step + ": " + std::strerror(err));
        int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        char buffer[8192];
        ssize_t n = fd < 0 ? -1 : read(fd, buffer, sizeof buffer);
        report(n <= 0 ? std::string("ERROR reading status") : std::string(buffer, static_cast<size_t>(n)));
    }
    close(pipe_fds[1]);
    std::string out;
    char buffer[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (out.starts_with("ERROR")) *failure = out;
    return out;
}

ProcessCapabilities reduced_sets() {
    ProcessCapabilities sets;
    sets.bounding = default_capabilities();
    sets.permitted = CapabilitySet(default_capabilities()).remove(CAP_CHOWN);
    sets.effective = set_of({CAP_KILL, CAP_SETUID, CAP_NET_BIND_SERVICE});
    sets.inheritable = set_of({CAP_NET_BIND_SERVICE});
    sets.ambient = set_of({CAP_NET_BIND_SERVICE});
    return sets;
}

TEST(Capabilities, ApplyReducesTheSetsOfTheChild) {
    auto sets = reduced_sets();
    std::string failure;
    auto status = status_after_applying(sets, false, &failure);
    if (failure == "ERROR user namespace") GTEST_SKIP() << "no user namespaces here";
    ASSERT_EQ(failure, "");
    EXPECT_EQ(parse_status_capabilities(status), sets) << status;
}

TEST(Capabilities, ApplyInsideAUserNamespace) {
    ProcessCapabilities sets;
    sets.bounding = set_of({CAP_KILL, CAP_SYS_ADMIN});
    sets.permitted = set_of({CAP_SYS_ADMIN});
    sets.effective = set_of({CAP_SYS_ADMIN});
    std::string failure;
    auto status = status_after_applying(sets, true, &failure);
    if (failure == "ERROR user namespace") GTEST_SKIP() << "no user namespaces here";
    ASSERT_EQ(failure, "");
    EXPECT_EQ(parse_status_capabilities(status), sets) << status;

    // Nothing at all is fine too.
    status = status_after_applying(ProcessCapabilities{}, true, &failure);
    ASSERT_EQ(failure, "");
    EXPECT_EQ(parse_status_capabilities(status), ProcessCapabilities{}) << status;
}

}  // namespace
}  // namespace berth::runtime
