#include "runtime/cgroups.hpp"

#include <gtest/gtest.h>

namespace berth::runtime {

TEST(Cgroups, V1ControllersAreTheMountedEnabledOnes) {
    const char* proc_cgroups =
        "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
        "cpuset\t3\t1\t1\n"
        "cpu\t1\t1\t1\n"
        "memory\t4\t26\t1\n"
        "net_cls\t0\t1\t1\n"
        "hugetlb\t5\t1\t0\n"
        "pids\t8\t1\t1\n";
    EXPECT_EQ(parse_v1_controllers(proc_cgroups), (std::vector<std::string>{"cpuset", "cpu", "memory", "pids"}));
}

TEST(Cgroups, V2PathIsTheZeroHierarchyLine) {
    EXPECT_EQ(parse_v2_cgroup_path("4:memory:/x\n0::/user.slice/user-1000.slice/session-1.scope\n"),
              "/user.slice/user-1000.slice/session-1.scope");
    EXPECT_EQ(parse_v2_cgroup_path("4:memory:/x\n"), "");
}

TEST(Cgroups, RootlessOnV1CannotApplyLimits) {
    auto report = detect_cgroups(true);
    if (report.version != "v1") GTEST_SKIP() << "host has cgroup " << report.version;
    EXPECT_FALSE(report.limits_available);
    EXPECT_NE(report.limits_note.find("not delegated"), std::string::npos);
}

}  // namespace berth::runtime
