#include "volumes/copy_up.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/files.hpp"
#include "volumes/chown_tree.hpp"

namespace berth::volumes {
namespace {

class CopyUpTest : public ::testing::Test {
protected:
    TempDir scratch{"/tmp", "copy-up-test-"};
    std::string layer(const std::string& name) {
        std::string path = scratch.path() + "/" + name;
        make_directories(path);
        return path;
    }
};

TEST_F(CopyUpTest, MergesTheLayersAtThePathAndKeepsTheTopMode) {
    auto lower = layer("lower");
    auto upper = layer("upper");
    make_directories(lower + "/etc", 0755);
    write_file_atomic(lower + "/etc/passwd", "root");
    write_file_atomic(lower + "/etc/old", "old");
    make_directories(upper + "/etc", 0750);
    ::chmod((upper + "/etc").c_str(), 0750);
    write_file_atomic(upper + "/etc/motd", "hi");
    std::string target = scratch.path() + "/target";
    ASSERT_TRUE(copy_up_image_path({lower, upper}, "/etc", target));
    EXPECT_EQ(list_directory(target), (std::vector<std::string>{"motd", "old", "passwd"}));
    struct stat status {};
    ASSERT_EQ(::stat(target.c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0750u);
}

TEST_F(CopyUpTest, AnUpperFileOrMissingPathHidesOrGivesNothing) {
    auto lower = layer("lower");
    auto upper = layer("upper");
    make_directories(lower + "/data");
    write_file_atomic(upper + "/data", "a file now");
    EXPECT_TRUE(image_path_layers({lower, upper}, "/data").empty());
    EXPECT_EQ(image_path_layers({lower}, "/data"), std::vector<std::string>{lower + "/data"});
    EXPECT_FALSE(copy_up_image_path({lower}, "/missing", scratch.path() + "/target"));
    EXPECT_FALSE(path_exists(scratch.path() + "/target"));
}

TEST_F(CopyUpTest, AWhiteoutHidesTheLowerDirectory) {
    if (::geteuid() != 0) GTEST_SKIP() << "whiteouts are 0:0 character devices, which only root makes";
    auto lower = layer("lower");
    auto middle = layer("middle");
    auto upper = layer("upper");
    make_directories(lower + "/data");
    ASSERT_EQ(::mknod((middle + "/data").c_str(), S_IFCHR | 0600, makedev(0, 0)), 0);
    make_directories(upper + "/data");
    EXPECT_EQ(image_path_layers({lower, middle, upper}, "/data"), std::vector<std::string>{upper + "/data"});
}

TEST_F(CopyUpTest, ChownTreeGivesEverythingBelowButNotSymlinkTargets) {
    if (::geteuid() != 0) GTEST_SKIP() << "giving files away needs root";
    auto tree = layer("tree");
    make_directories(tree + "/a/b");
    write_file_atomic(tree + "/a/b/file", "x");
    write_file_atomic(scratch.path() + "/outside", "y");
    ASSERT_EQ(::symlink((scratch.path() + "/outside").c_str(), (tree + "/link").c_str()), 0);
    chown_tree(tree, 1234, 5678);
    for (const char* path : {"", "/a", "/a/b", "/a/b/file", "/link"}) {
        struct stat status {};
        ASSERT_EQ(::lstat((tree + path).c_str(), &status), 0) << path;
        EXPECT_EQ(status.st_uid, 1234u) << path;
        EXPECT_EQ(status.st_gid, 5678u) << path;
    }
    struct stat outside {};
    ASSERT_EQ(::stat((scratch.path() + "/outside").c_str(), &outside), 0);
    EXPECT_EQ(outside.st_uid, 0u);
}

}  // namespace
}  // namespace berth::volumes
