#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "common/error.hpp"
#include "common/files.hpp"
#include "runtime/executor_plan.hpp"

namespace berth::runtime {
namespace {

using nlohmann::json;

class ExecutorPlanTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::make_unique<TempDir>("/tmp", "berth-executor-test-");
        make_directories(dir_->path() + "/rootfs");
        make_directories(dir_->path() + "/source");
        std::ofstream(dir_->path() + "/file") << "x";
    }

    json spec() const {
        return json{
            {"root", {{"path", "rootfs"}}},
            {"hostname", "box"},
            {"process",
             {{"args", {"sh", "-c", "true"}},
              {"env", {"PATH=/bin:/usr/bin", "HOME=/"}},
              {"cwd", "/work"},
              {"user", {{"uid", 1000}, {"gid", 100}, {"additionalGids", {100, 10}}, {"umask", 077}}},
              {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"soft", 1024}, {"hard", 4096}}}},
              {"noNewPrivileges", true}}},
            {"linux",
             {{"namespaces", {{{"type", "mount"}}, {{"type", "pid"}}, {{"type", "uts"}}, {{"type", "network"}}}},
              {"maskedPaths", {"/proc/kcore"}},
              {"readonlyPaths", {"/proc/sys"}},
              {"sysctl", {{"net.ipv4.ping_group_range", "0 0"}}}}},
            {"mounts",
             {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}, {"options", {"nosuid", "noexec"}}},
              {{"destination", "/data"},
               {"type", "bind"},
               {"source", dir_->path() + "/source"},
               {"options", {"rbind", "ro", "rprivate"}}},
              {{"destination", "/etc/file"}, {"type", "bind"}, {"source", dir_->path() + "/file"}}}},
        };
    }

    PlanContext root_context() const {
        PlanContext context;
        context.host_root = true;
        return context;
    }

    std::unique_ptr<TempDir> dir_;
};

TEST(ExecutorMountOptions, FlagsPropagationAndData) {
    auto options = parse_mount_options({"nosuid", "ro", "rw", "noexec", "mode=755", "size=65536k", "rslave"});
    EXPECT_EQ(options.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
    EXPECT_EQ(options.clear_flags, static_cast<unsigned long>(MS_RDONLY));
    EXPECT_EQ(options.propagation, static_cast<unsigned long>(MS_SLAVE | MS_REC));
    EXPECT_EQ(options.data, "mode=755,size=65536k");
    EXPECT_EQ(parse_mount_options({"rbind"}).flags, static_cast<unsigned long>(MS_BIND | MS_REC));
    EXPECT_EQ(parse_mount_options({"tmpcopyup", "z"}).data, "");
    EXPECT_THROW(parse_mount_options({"idmap"}), Error);
}

TEST_F(ExecutorPlanTest, NamespacesRootfsAndProcess) {
    auto plan = prepare_plan(spec(), dir_->path(), root_context());
    EXPECT_EQ(plan.clone_flags, CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWNET);
    EXPECT_FALSE(plan.user_namespace);
    EXPECT_FALSE(plan.bind_devices);
    EXPECT_EQ(plan.rootfs, dir_->path() + "/rootfs");
    EXPECT_EQ(plan.hostname, "box");
    EXPECT_EQ(plan.search_path, "/bin:/usr/bin");
    EXPECT_EQ(plan.cwd, "/work");
    EXPECT_EQ(plan.uid, 1000u);
    EXPECT_EQ(plan.gid, 100u);
    EXPECT_EQ(plan.additional_gids, (std::vector<gid_t>{100, 10}));
    EXPECT_EQ(plan.umask, 077u);
    EXPECT_TRUE(plan.no_new_privileges);
    ASSERT_EQ(plan.rlimits.size(), 1u);
    EXPECT_EQ(plan.rlimits[0].resource, RLIMIT_NOFILE);
    EXPECT_EQ(plan.rlimits[0].limit.rlim_cur, 1024u);
    EXPECT_EQ(plan.rlimits[0].limit.rlim_max, 4096u);
    ASSERT_EQ(plan.sysctls.size(), 1u);
    EXPECT_EQ(plan.sysctls[0].path, "/proc/sys/net/ipv4/ping_group_range");
    EXPECT_FALSE(plan.capabilities);
    EXPECT_TRUE(plan.seccomp_program.empty());
    plan.finalize();
    ASSERT_EQ(plan.argv.size(), 4u);
    EXPECT_STREQ(plan.argv[0], "sh");
    EXPECT_EQ(plan.argv[3], nullptr);
    EXPECT_STREQ(plan.envp[1], "HOME=/");
}

TEST_F(ExecutorPlanTest, Mounts) {
    auto plan = prepare_plan(spec(), dir_->path(), root_context());
    ASSERT_EQ(plan.mounts.size(), 3u);
    const auto& proc = plan.mounts[0];
    EXPECT_FALSE(proc.bind);
    EXPECT_EQ(proc.type, "proc");
    EXPECT_EQ(proc.flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
    const auto& data = plan.mounts[1];
    EXPECT_TRUE(data.bind);
    EXPECT_EQ(data.flags, static_cast<unsigned long>(MS_BIND | MS_REC));
    EXPECT_TRUE(data.remount);
    EXPECT_TRUE(data.remount_flags & MS_RDONLY);
    EXPECT_TRUE(data.remount_flags & MS_REMOUNT);
    EXPECT_EQ(data.remount_flags & locked_mount_flags(data.source.c_str()), locked_mount_flags(data.source.c_str()));
    EXPECT_EQ(data.propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
    EXPECT_FALSE(data.file_destination);
    EXPECT_TRUE(plan.mounts[2].file_destination);
    EXPECT_FALSE(plan.mounts[2].remount);
}

TEST_F(ExecutorPlanTest, DefaultDevicesAndSymlinks) {
    auto plan = prepare_plan(spec(), dir_->path(), root_context());
    std::vector<std::string> paths;
    for (const auto& device : plan.devices) paths.push_back(device.path);
    EXPECT_EQ(paths, (std::vector<std::string>{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                                               "/dev/tty"}));
    EXPECT_EQ(plan.symlinks[0].path, "/dev/fd");
    EXPECT_EQ(plan.symlinks[4].target, "pts/ptmx");
}

TEST_F(ExecutorPlanTest, RootlessUserNamespace) {
    auto document = spec();
    document["linux"]["namespaces"].push_back({{"type", "user"}});
    document["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}};
    document["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}},
                                        {{"containerID", 1}, {"hostID", 100000}, {"size", 65536}}};
    PlanContext context;
    auto plan = prepare_plan(document, dir_->path(), context);
    EXPECT_TRUE(plan.user_namespace);
    EXPECT_TRUE(plan.clone_flags & CLONE_NEWUSER);
    EXPECT_TRUE(plan.bind_devices);
    ASSERT_EQ(plan.gid_mappings.size(), 2u);
    EXPECT_EQ(plan.gid_mappings[1].host_id, 100000u);
    EXPECT_FALSE(plan.setgroups_denied);  // more than the caller's own gid: newgidmap writes it
    document["linux"]["gidMappings"].erase(1);
    EXPECT_TRUE(prepare_plan(document, dir_->path(), context).setgroups_denied);
}

TEST_F(ExecutorPlanTest, SysfsFallbackWithoutANetworkNamespace) {
    auto document = spec();
    document["mounts"].push_back({{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"}});
    document["linux"]["namespaces"] = {{{"type", "mount"}}, {{"type", "user"}}};
    document["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", ::geteuid()}, {"size", 1}}};
    document["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", ::getegid()}, {"size", 1}}};
    document.erase("hostname");
    auto plan = prepare_plan(document, dir_->path(), PlanContext{});
    EXPECT_EQ(plan.mounts.back().fallback, MountFallback::bind_sys);
    document["linux"]["namespaces"].push_back({{"type", "network"}});
    EXPECT_EQ(prepare_plan(document, dir_->path(), PlanContext{}).mounts.back().fallback, MountFallback::none);
}

void expect_error(const json& document, const std::string& directory, const PlanContext& context,
                  const std::string& part) {
    try {
        prepare_plan(document, directory, context);
        ADD_FAILURE() << "no error for " << part;
    } catch (const Error& error) {
        EXPECT_NE(std::string(error.what()).find(part), std::string::npos) << error.what();
        EXPECT_EQ(error.exit_status(), exit_berth_error);
    }
}

TEST_F(ExecutorPlanTest, Errors) {
    auto context = root_context();
    auto document = spec();
    document["mounts"][1]["source"] = dir_->path() + "/missing";
    expect_error(document, dir_->path(), context, "bind mount source " + dir_->path() + "/missing for /data");

    document = spec();
    document["linux"]["namespaces"] = {{{"type", "mount"}}};
    expect_error(document, dir_->path(), context, "hostname");

    document = spec();
    document["linux"]["namespaces"].push_back({{"type", "time"}});
    expect_error(document, dir_->path(), context, "unknown namespace type \"time\"");

    document = spec();
    document["linux"]["namespaces"][1]["path"] = "/proc/1/ns/pid";
    auto joined = prepare_plan(document, dir_->path(), context);
    ASSERT_EQ(joined.joined_namespaces.size(), 1u);
    EXPECT_EQ(joined.joined_namespaces[0].path, "/proc/1/ns/pid");
    EXPECT_EQ(joined.joined_namespaces[0].type, CLONE_NEWPID);
    EXPECT_FALSE(joined.clone_flags & CLONE_NEWPID);  // joined, not made
    document["linux"]["namespaces"][1]["path"] = "proc/1/ns/pid";
    expect_error(document, dir_->path(), context, "not absolute");
    document = spec();
    document["linux"]["namespaces"][1]["path"] = "/proc/1/ns/pid";
    document["linux"]["namespaces"].push_back({{"type", "user"}, {"path", "/proc/1/ns/user"}});
    document["linux"]["uidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    document["linux"]["gidMappings"] = {{{"containerID", 0}, {"hostID", 1000}, {"size", 1}}};
    auto member = prepare_plan(document, dir_->path(), context);
    ASSERT_EQ(member.joined_namespaces.size(), 2u);
    EXPECT_EQ(member.joined_namespaces[0].type, CLONE_NEWUSER);  // the user namespace first: it grants the rest
    EXPECT_TRUE(member.user_namespace_joined());
    EXPECT_FALSE(member.clone_flags & (CLONE_NEWUSER | CLONE_NEWPID));

    document = spec();
    document["linux"]["namespaces"] = {{{"type", "pid"}}};
    document.erase("hostname");
    expect_error(document, dir_->path(), context, "mount namespace is required");

    document = spec();
    document["process"]["rlimits"][0]["type"] = "RLIMIT_BOGUS";
    expect_error(document, dir_->path(), context, "RLIMIT_BOGUS");

    document = spec();
    document["process"]["args"] = json::array();
    expect_error(document, dir_->path(), context, "no command");

    document = spec();
    document["root"]["path"] = "nowhere";
    expect_error(document, dir_->path(), context, "rootfs");

    document = spec();
    document["linux"]["namespaces"].push_back({{"type", "user"}});
    expect_error(document, dir_->path(), context, "uidMappings and gidMappings");

    document = spec();
    document["mounts"][0]["destination"] = "proc";
    expect_error(document, dir_->path(), context, "not an absolute path");

    document = spec();
    expect_error(document, dir_->path(), PlanContext{}, "needs a user namespace");
}

TEST_F(ExecutorPlanTest, TerminalResourcesAndCgroupNamespace) {
    auto document = spec();
    auto plan = prepare_plan(document, dir_->path(), root_context());
    EXPECT_FALSE(plan.terminal);
    EXPECT_FALSE(plan.console_size);
    EXPECT_FALSE(plan.cgroup_namespace);
    EXPECT_TRUE(plan.resources.empty());
    EXPECT_EQ(plan.cgroups_path, "");

    document["process"]["terminal"] = true;
    document["process"]["consoleSize"] = {{"height", 40}, {"width", 120}};
    document["linux"]["namespaces"].push_back({{"type", "cgroup"}});
    document["linux"]["resources"] = {{"memory", {{"limit", 33554432}}}, {"pids", {{"limit", 10}}}};
    document["linux"]["cgroupsPath"] = "/berth/x";
    plan = prepare_plan(document, dir_->path(), root_context());
    EXPECT_TRUE(plan.terminal);
    ASSERT_TRUE(plan.console_size);
    EXPECT_EQ(plan.console_size->ws_row, 40);
    EXPECT_EQ(plan.console_size->ws_col, 120);
    // The child unshares the cgroup namespace itself, once it is in its cgroups.
    EXPECT_TRUE(plan.cgroup_namespace);
    EXPECT_FALSE(plan.clone_flags & CLONE_NEWCGROUP);
    EXPECT_EQ(plan.resources.memory, 33554432);
    EXPECT_EQ(plan.resources.pids, 10);
    EXPECT_EQ(plan.cgroups_path, "/berth/x");

    document["process"]["terminal"] = "yes";
    expect_error(document, dir_->path(), root_context(), "process.terminal: not a boolean");
    document["process"]["terminal"] = true;
    document["linux"]["resources"]["memory"]["limit"] = "32m";
    expect_error(document, dir_->path(), root_context(), "linux.resources.memory.limit: not an integer");
}

TEST_F(ExecutorPlanTest, StepDescriptions) {
    auto plan = prepare_plan(spec(), dir_->path(), root_context());
    EXPECT_EQ(plan.step_description({static_cast<int>(ChildStep::mount), 0, EPERM}), "mount proc on /proc");
    EXPECT_EQ(plan.step_description({static_cast<int>(ChildStep::mount), 1, EPERM}),
              "bind mount " + dir_->path() + "/source on /data");
    EXPECT_EQ(plan.step_description({static_cast<int>(ChildStep::rlimit), 0, EPERM}), "set RLIMIT_NOFILE to 1024:4096");
    EXPECT_EQ(plan.step_description({static_cast<int>(ChildStep::working_directory), 0, ENOENT}),
              "change to the working directory /work");
    EXPECT_EQ(plan.step_description({static_cast<int>(ChildStep::mount), 99, EPERM}),
              "step " + std::to_string(static_cast<int>(ChildStep::mount)));
    EXPECT_EQ(plan.step_description({static_cast<int>(ChildStep::terminal_open), 0, ENOENT}),
              "allocate a pseudo-terminal: open /dev/ptmx");
}

TEST(ExecutorStatus, FromWaitStatus) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(42);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_EQ(exit_status_from_wait(status), 42);

    child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::pause();
        ::_exit(0);
    }
    ::kill(child, SIGKILL);
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_EQ(exit_status_from_wait(status), 128 + SIGKILL);
}

TEST(ExecutorStatus, ExecFailures) {
    EXPECT_EQ(exec_failure_status(ENOENT), exit_not_found);
    EXPECT_EQ(exec_failure_status(ENOTDIR), exit_not_found);
    EXPECT_EQ(exec_failure_status(EACCES), exit_cannot_invoke);
    EXPECT_EQ(exec_failure_status(ENOEXEC), exit_cannot_invoke);
}

TEST_F(ExecutorPlanTest, SharedRootPropagationMakesTheRootfsMountPrivateAndIsAppliedAgain) {
    auto plan = prepare_plan(spec(), dir_->path(), root_context());
    EXPECT_EQ(plan.root_propagation, static_cast<unsigned long>(MS_REC | MS_PRIVATE));
    EXPECT_FALSE(plan.root_propagation_given);
    EXPECT_TRUE(plan.rootfs_parent_mount.empty());

    auto document = spec();
    document["linux"]["rootfsPropagation"] = "shared";
    plan = prepare_plan(document, dir_->path(), root_context());
    EXPECT_EQ(plan.root_propagation, static_cast<unsigned long>(MS_SHARED));
    EXPECT_TRUE(plan.root_propagation_given);
    // The mount holding the bundle (/tmp's or /): pivot_root refuses a shared one.
    ASSERT_FALSE(plan.rootfs_parent_mount.empty());
    EXPECT_EQ((dir_->path() + "/").rfind(plan.rootfs_parent_mount == "/" ? "/" : plan.rootfs_parent_mount + "/", 0),
              0u);

    document["linux"]["rootfsPropagation"] = "rslave";
    plan = prepare_plan(document, dir_->path(), root_context());
    EXPECT_TRUE(plan.root_propagation_given);
    EXPECT_TRUE(plan.rootfs_parent_mount.empty());
}

}  // namespace
}  // namespace berth::runtime
