#include "runtime/cgroup_limits.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "common/files.hpp"

namespace berth::runtime {
namespace {

using nlohmann::json;

constexpr std::int64_t mib = 1024 * 1024;

ResourceLimits all_limits() {
    ResourceLimits limits;
    limits.memory = 32 * mib;
    limits.pids = 10;
    limits.cpu_quota = 50000;
    limits.cpu_period = 100000;
    return limits;
}

// What the writes set, as "controller file=value" lines ("?" marks an optional file).
std::string describe(const std::vector<CgroupWrite>& writes) {
    std::string text;
    for (const auto& write : writes)
        text += write.controller + " " + write.file + (write.optional ? "?" : "") + "=" + write.value + "\n";
    return text;
}

TEST(CgroupLimits, ParsedFromLinuxResources) {
    auto limits = parse_resource_limits(json::parse(R"({"resources": {
        "devices": [{"allow": false, "access": "rwm"}],
        "memory": {"limit": 33554432, "swap": 67108864},
        "pids": {"limit": 10},
        "cpu": {"quota": 50000, "period": 100000}}})"));
    EXPECT_EQ(limits.memory, 32 * mib);
    EXPECT_EQ(limits.memory_swap, 64 * mib);
    EXPECT_EQ(limits.pids, 10);
    EXPECT_EQ(limits.cpu_quota, 50000);
    EXPECT_EQ(limits.cpu_period, 100000u);
    EXPECT_EQ(limits.controllers(), (std::vector<std::string>{"memory", "pids", "cpu"}));
    EXPECT_EQ(limits.names(), "memory, pids, cpu");

    // Devices alone (berth's rootful specs) ask for no limits.
    EXPECT_TRUE(parse_resource_limits(json::parse(R"({"resources": {"devices": []}})")).empty());
    EXPECT_TRUE(parse_resource_limits(json::object()).empty());
    EXPECT_THROW(parse_resource_limits(json::parse(R"({"resources": {"pids": {"limit": "10"}}})")), Error);
    EXPECT_THROW(parse_resource_limits(json::parse(R"({"resources": {"memory": 5}})")), Error);
}

TEST(CgroupLimits, V1Writes) {
    EXPECT_EQ(describe(v1_limit_writes(all_limits())),
              "memory memory.limit_in_bytes=33554432\n"
              "memory memory.memsw.limit_in_bytes?=33554432\n"
              "pids pids.max=10\n"
              "cpu cpu.cfs_period_us=100000\n"
              "cpu cpu.cfs_quota_us=50000\n");
    ResourceLimits limits;
    limits.memory = 32 * mib;
    limits.memory_swap = 64 * mib;
    limits.pids = 0;
    limits.cpu_quota = -1;
    EXPECT_EQ(describe(v1_limit_writes(limits)),
              "memory memory.limit_in_bytes=33554432\n"
              "memory memory.memsw.limit_in_bytes?=67108864\n"
              "pids pids.max=max\n"
              "cpu cpu.cfs_quota_us=-1\n");
    EXPECT_TRUE(v1_limit_writes(ResourceLimits{}).empty());
}

TEST(CgroupLimits, V2Writes) {
    EXPECT_EQ(describe(v2_limit_writes(all_limits())),
              "memory memory.max=33554432\n"
              "memory memory.swap.max?=0\n"
              "pids pids.max=10\n"
              "cpu cpu.max=50000 100000\n");
    ResourceLimits limits;
    limits.memory = 32 * mib;
    limits.memory_swap = 64 * mib;
    limits.cpu_period = 20000;
    EXPECT_EQ(describe(v2_limit_writes(limits)),
              "memory memory.max=33554432\n"
              "memory memory.swap.max?=33554432\n"
              "cpu cpu.max=max 20000\n");
    limits = {};
    limits.memory = 32 * mib;
    limits.memory_swap = -1;
    limits.cpu_quota = 25000;
    EXPECT_EQ(describe(v2_limit_writes(limits)),
              "memory memory.max=33554432\n"
              "memory memory.swap.max?=max\n"
              "cpu cpu.max=25000 100000\n");
}

TEST(CgroupLimits, HybridHostFromMountinfo) {
    const char* mountinfo =
        "30 24 0:26 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
        "31 30 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
        "32 30 0:28 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
        "33 30 0:29 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
        "34 30 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
        "35 30 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
    const char* own = "9:name=systemd:/\n8:pids:/\n4:memory:/jobs/a b\n2:cpu,cpuacct:/\n0::/\n";
    auto host = parse_cgroup_host(false, mountinfo, own);
    EXPECT_FALSE(host.unified);
    EXPECT_EQ(host.v2_mount, "");
    ASSERT_EQ(host.v1.count("memory"), 1u);
    EXPECT_EQ(host.v1["memory"].mount, "/sys/fs/cgroup/memory");
    EXPECT_EQ(host.v1["memory"].own, "/sys/fs/cgroup/memory/jobs/a b");
    EXPECT_EQ(host.v1["cpu"].mount, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(host.v1["cpu"].own, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(host.v1["pids"].own, "/sys/fs/cgroup/pids");
    EXPECT_EQ(host.v1.count("name=systemd"), 0u);
}

TEST(CgroupLimits, UnifiedHostSeenFromAMountOfASubtree) {
    // A cgroup namespace (or a bind mount) shows the caller's part of the tree: its root is not "/".
    const char* mountinfo = "40 30 0:31 /user.slice /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n";
    auto host = parse_cgroup_host(true, mountinfo, "0::/user.slice/app.scope\n");
    EXPECT_TRUE(host.unified);
    EXPECT_EQ(host.v2_mount, "/sys/fs/cgroup");
    EXPECT_EQ(host.v2_own, "/sys/fs/cgroup/app.scope");
    EXPECT_TRUE(host.v1.empty());
}

TEST(CgroupLimits, ContainerDirectory) {
    const std::string mount = "/sys/fs/cgroup/pids";
    const std::string own = "/sys/fs/cgroup/pids/jobs/1";
    EXPECT_EQ(container_cgroup_directory(mount, own, "/berth/c1", "berth-7"), "/sys/fs/cgroup/pids/berth/c1");
    EXPECT_EQ(container_cgroup_directory(mount, own, "c1", "berth-7"), "/sys/fs/cgroup/pids/jobs/1/c1");
    EXPECT_EQ(container_cgroup_directory(mount, own, "", "berth-7"), "/sys/fs/cgroup/pids/jobs/1/berth-7");
    EXPECT_THROW(container_cgroup_directory(mount, own, "../escape", "berth-7"), Error);
    EXPECT_THROW(container_cgroup_directory(mount, own, "/", "berth-7"), Error);
}

// A fake cgroup tree in a temporary directory: real cgroup file systems make a new cgroup's control files
// themselves, so the tests make the container's cgroup (with its files) beforehand, as a cgroup that exists.
class FakeCgroupTree : public ::testing::Test {
protected:
    void SetUp() override { dir_ = std::make_unique<TempDir>("/tmp", "berth-cgroup-test-"); }

    std::string path(const std::string& relative) const { return dir_->path() + "/" + relative; }

    void write(const std::string& relative, const std::string& content) const {
        auto full = path(relative);
        make_directories(full.substr(0, full.rfind('/')));
        std::ofstream(full) << content;
    }

    std::string content(const std::string& relative) const { return read_file(path(relative)); }

    CgroupHost v1_host() const {
        CgroupHost host;
        for (const char* controller : {"memory", "pids", "cpu"})
            host.v1[controller] = {path(controller), path(controller) + "/jobs/1"};
        return host;
    }

    CgroupHost v2_host() const {
        CgroupHost host;
        host.unified = true;
        host.v2_mount = path("unified");
        host.v2_own = path("unified/user.slice");
        return host;
    }

    std::unique_ptr<TempDir> dir_;
};

TEST_F(FakeCgroupTree, V1LimitsAndProcesses) {
    for (const char* file : {"memory.limit_in_bytes", "memory.memsw.limit_in_bytes", "cgroup.procs"})
        write(std::string("memory/jobs/1/c1/") + file, "");
    for (const char* file : {"pids.max", "cgroup.procs"}) write(std::string("pids/jobs/1/c1/") + file, "");
    for (const char* file : {"cpu.cfs_period_us", "cpu.cfs_quota_us", "cgroup.procs"})
        write(std::string("cpu/jobs/1/c1/") + file, "");
    {
        CgroupLimits cgroups(all_limits(), v1_host(), "c1", "berth-7");
        EXPECT_EQ(cgroups.directories(),
                  (std::vector<std::string>{path("memory/jobs/1/c1"), path("pids/jobs/1/c1"), path("cpu/jobs/1/c1")}));
        EXPECT_EQ(content("memory/jobs/1/c1/memory.limit_in_bytes"), "33554432");
        EXPECT_EQ(content("memory/jobs/1/c1/memory.memsw.limit_in_bytes"), "33554432");
        EXPECT_EQ(content("pids/jobs/1/c1/pids.max"), "10");
        EXPECT_EQ(content("cpu/jobs/1/c1/cpu.cfs_period_us"), "100000");
        EXPECT_EQ(content("cpu/jobs/1/c1/cpu.cfs_quota_us"), "50000");
        cgroups.add_process(4321);
        for (const char* controller : {"memory", "pids", "cpu"})
            EXPECT_EQ(content(std::string(controller) + "/jobs/1/c1/cgroup.procs"), "4321");
    }
    // It was there before: it stays.
    EXPECT_TRUE(path_exists(path("pids/jobs/1/c1")));
}

TEST_F(FakeCgroupTree, V1WithoutSwapAccountingOrTheController) {
    write("memory/jobs/1/c1/memory.limit_in_bytes", "");
    ResourceLimits limits;
    limits.memory = 32 * mib;
    CgroupLimits cgroups(limits, v1_host(), "c1", "berth-7");
    EXPECT_EQ(content("memory/jobs/1/c1/memory.limit_in_bytes"), "33554432");
    EXPECT_FALSE(path_exists(path("memory/jobs/1/c1/memory.memsw.limit_in_bytes")));

    CgroupHost host = v1_host();
    host.v1.erase("pids");
    try {
        CgroupLimits missing(all_limits(), host, "c1", "berth-7");
        ADD_FAILURE() << "no error without a pids hierarchy";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "the cgroup v1 pids controller is not mounted");
    }
}

TEST_F(FakeCgroupTree, WhatItCreatesIsRemoved) {
    make_directories(path("memory/jobs/1"));
    ResourceLimits limits;
    limits.memory_swap = 64 * mib;  // only an optional file: the new (fake) cgroup needs none
    {
        CgroupLimits cgroups(limits, v1_host(), "berth/c2", "berth-7");
        EXPECT_EQ(cgroups.directories(), std::vector<std::string>{path("memory/jobs/1/berth/c2")});
        EXPECT_TRUE(path_exists(path("memory/jobs/1/berth/c2")));
    }
    EXPECT_FALSE(path_exists(path("memory/jobs/1/berth")));
    EXPECT_TRUE(path_exists(path("memory/jobs/1")));

    // A failure on the way removes what was made so far.
    limits.memory = 32 * mib;
    EXPECT_THROW(CgroupLimits(limits, v1_host(), "berth/c3", "berth-7"), Error);
    EXPECT_FALSE(path_exists(path("memory/jobs/1/berth")));
}

TEST_F(FakeCgroupTree, V2EnablesControllersAndWritesLimits) {
    write("unified/cgroup.controllers", "cpuset cpu io memory pids\n");
    write("unified/user.slice/cgroup.controllers", "cpu memory pids\n");
    write("unified/user.slice/cgroup.subtree_control", "");
    for (const char* file : {"memory.max", "memory.swap.max", "pids.max", "cpu.max", "cgroup.procs"})
        write(std::string("unified/user.slice/berth-7/") + file, "");
    {
        CgroupLimits cgroups(all_limits(), v2_host(), "", "berth-7");
        EXPECT_EQ(cgroups.directories(), std::vector<std::string>{path("unified/user.slice/berth-7")});
        EXPECT_EQ(content("unified/user.slice/cgroup.subtree_control"), "+memory +pids +cpu");
        EXPECT_EQ(content("unified/user.slice/berth-7/memory.max"), "33554432");
        EXPECT_EQ(content("unified/user.slice/berth-7/memory.swap.max"), "0");
        EXPECT_EQ(content("unified/user.slice/berth-7/pids.max"), "10");
        EXPECT_EQ(content("unified/user.slice/berth-7/cpu.max"), "50000 100000");
        cgroups.add_process(99);
        EXPECT_EQ(content("unified/user.slice/berth-7/cgroup.procs"), "99");
    }
    // Controllers already enabled are not written again.
    write("unified/user.slice/cgroup.subtree_control", "memory pids cpu\n");
    CgroupLimits again(all_limits(), v2_host(), "", "berth-7");
    EXPECT_EQ(content("unified/user.slice/cgroup.subtree_control"), "memory pids cpu\n");
}

TEST_F(FakeCgroupTree, V2ControllerThatIsNotDelegated) {
    write("unified/user.slice/cgroup.controllers", "cpu memory\n");
    write("unified/user.slice/cgroup.subtree_control", "");
    try {
        CgroupLimits cgroups(all_limits(), v2_host(), "c1", "berth-7");
        ADD_FAILURE() << "no error without the pids controller";
    } catch (const Error& error) {
        EXPECT_EQ(std::string(error.what()), "the pids controller is not available in " + path("unified/user.slice"));
    }
    EXPECT_FALSE(path_exists(path("unified/user.slice/c1")));
}

}  // namespace
}  // namespace berth::runtime
