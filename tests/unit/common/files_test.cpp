#include "common/files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth {
namespace {

std::string scratch_parent() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp ? tmp : "/tmp";
}

TEST(AtomicWrite, ReplacesContentAndLeavesNoTemporaryFile) {
    TempDir dir(scratch_parent(), "berth-files-test-");
    std::string path = dir.path() + "/record.json";
    write_file_atomic(path, "first");
    write_file_atomic(path, "second", 0600);
    EXPECT_EQ(read_file(path), "second");
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
        names.push_back(entry.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string>{"record.json"});
}

TEST(ReadFile, NamesThePathWhenMissing) {
    try {
        read_file("/nonexistent/berth/file");
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "open /nonexistent/berth/file: No such file or directory");
        EXPECT_EQ(error.exit_status(), 125);
    }
    EXPECT_EQ(read_file_if_exists("/nonexistent/berth/file"), std::nullopt);
}

TEST(RemoveTree, RemovesLockedDirectoriesAndKeepsSymlinkTargets) {
    TempDir outside(scratch_parent(), "berth-outside-");
    write_file_atomic(outside.path() + "/keep", "kept");
    std::string tree;
    {
        TempDir dir(scratch_parent(), "berth-tree-");
        tree = dir.path();
        make_directories(tree + "/a/b/c");
        write_file_atomic(tree + "/a/b/c/file", "x");
        ASSERT_EQ(::symlink(outside.path().c_str(), (tree + "/a/link").c_str()), 0);
        ASSERT_EQ(::chmod((tree + "/a/b").c_str(), 0), 0);
    }
    EXPECT_FALSE(path_exists(tree));
    EXPECT_EQ(read_file(outside.path() + "/keep"), "kept");
}

TEST(RemoveTreeAt, RemovesBelowADirectoryDescriptorAndNeverThroughASymlink) {
    TempDir outside(scratch_parent(), "berth-outside-");
    write_file_atomic(outside.path() + "/keep", "kept");
    TempDir dir(scratch_parent(), "berth-tree-");
    make_directories(dir.path() + "/sub/deeper");
    write_file_atomic(dir.path() + "/sub/deeper/file", "x");
    write_file_atomic(dir.path() + "/b-file", "y");
    ASSERT_EQ(::symlink(outside.path().c_str(), (dir.path() + "/link").c_str()), 0);
    UniqueFd dir_fd(::open(dir.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dir_fd.valid());
    EXPECT_EQ(list_directory_at(dir_fd.get(), dir.path()), (std::vector<std::string>{"b-file", "link", "sub"}));
    remove_tree_at(dir_fd.get(), "link", dir.path() + "/link");
    remove_tree_at(dir_fd.get(), "sub", dir.path() + "/sub");
    remove_tree_at(dir_fd.get(), "missing", dir.path() + "/missing");
    EXPECT_EQ(list_directory_at(dir_fd.get(), dir.path()), std::vector<std::string>{"b-file"});
    EXPECT_EQ(read_file(outside.path() + "/keep"), "kept");
}

TEST(FindInPath, FindsExecutablesOnly) {
    EXPECT_TRUE(find_in_path("sh").has_value());
    EXPECT_FALSE(find_in_path("berth-no-such-program").has_value());
    EXPECT_EQ(find_in_path("/bin/sh"), std::optional<std::string>("/bin/sh"));
}

}  // namespace
}  // namespace berth
