#include "builder/run_mounts.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include "../error_of.hpp"
#include "common/files.hpp"

namespace berth::builder {
namespace {

using testing_support::error_of;

TEST(RunMounts, BindsOfTheContextAreReadOnlyAndStayInside) {
    TempDir work("/tmp", "berth-run-mounts-");
    std::string context = work.path() + "/ctx";
    make_directories(context + "/src");
    ASSERT_EQ(::symlink("/etc", (context + "/etc-link").c_str()), 0);
    auto bind = run_mount("type=bind,source=src,target=/mnt", context, work.path());
    EXPECT_EQ(bind.type, "bind");
    EXPECT_EQ(bind.source, context + "/src");
    EXPECT_EQ(bind.destination, "/mnt");
    EXPECT_NE(std::find(bind.options.begin(), bind.options.end(), "ro"), bind.options.end());
    auto writable = run_mount("type=bind,target=/mnt,rw", context, work.path());
    EXPECT_EQ(std::find(writable.options.begin(), writable.options.end(), "ro"), writable.options.end());
    EXPECT_EQ(error_of([&] { run_mount("type=bind,source=etc-link,target=/mnt", context, work.path()); }),
              "--mount source etc-link: outside the build context");
    EXPECT_EQ(error_of([&] { run_mount("type=bind,source=../x,target=/mnt", context, work.path()); }),
              "--mount source ../x: outside the build context");
}

TEST(RunMounts, CachesAreDirectoriesOfTheStoreByIdAndTmpfsIsTmpfs) {
    TempDir work("/tmp", "berth-run-mounts-");
    auto first = run_mount("type=cache,target=/cache", work.path(), work.path());
    auto same = run_mount("type=cache,dst=/cache", work.path(), work.path());
    auto other = run_mount("type=cache,target=/cache,id=other", work.path(), work.path());
    EXPECT_EQ(first.source, same.source);
    EXPECT_NE(first.source, other.source);
    EXPECT_TRUE(first.source.starts_with(work.path() + "/build-cache-mounts/"));
    EXPECT_TRUE(path_exists(first.source));
    EXPECT_EQ(run_mount("type=tmpfs,target=/t", work.path(), work.path()).type, "tmpfs");
    EXPECT_EQ(error_of([&] { run_mount("type=nope,target=/t", work.path(), work.path()); }),
              "--mount=type=nope,target=/t: type nope is not supported (bind, cache, tmpfs, secret)");
    EXPECT_EQ(error_of([&] { run_mount("type=cache", work.path(), work.path()); }),
              "--mount=type=cache: target is required");
}

}  // namespace
}  // namespace berth::builder
