#include "storage/storage_paths.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/files.hpp"

namespace berth::storage {
namespace {

TEST(StoragePaths, RootUsesSystemLocations) {
    PathEnvironment env{0, "/root", std::nullopt, std::nullopt};
    auto paths = default_storage_paths(env, std::nullopt, std::nullopt);
    EXPECT_EQ(paths.graph_root, "/var/lib/berth");
    EXPECT_EQ(paths.run_root, "/run/berth");
}

TEST(StoragePaths, UserDataGoesUnderXdgDataHomeOrLocalShare) {
    PathEnvironment env{1000, "/home/u", std::nullopt, std::nullopt};
    EXPECT_EQ(default_storage_paths(env, std::nullopt, std::nullopt).graph_root, "/home/u/.local/share/berth");
    env.xdg_data_home = "/data";
    EXPECT_EQ(default_storage_paths(env, std::nullopt, std::nullopt).graph_root, "/data/berth");
}

TEST(StoragePaths, UnusableRuntimeDirFallsBackToTmpAndSaysWhy) {
    PathEnvironment env{12345, "/home/u", std::nullopt, std::nullopt};
    auto unset = default_storage_paths(env, std::nullopt, std::nullopt);
    EXPECT_EQ(unset.run_root, "/tmp/berth-run-12345");
    EXPECT_EQ(unset.run_root_note, "XDG_RUNTIME_DIR is not set");

    env.xdg_runtime_dir = "/";  // owned by root, not by uid 12345
    auto foreign = default_storage_paths(env, std::nullopt, std::nullopt);
    EXPECT_EQ(foreign.run_root, "/tmp/berth-run-12345");
    EXPECT_EQ(foreign.run_root_note, "/ is not owned by uid 12345");
}

TEST(StoragePaths, PrivateRuntimeDirIsUsed) {
    TempDir dir("/tmp", "berth-xdg-");
    ASSERT_EQ(::chmod(dir.path().c_str(), 0700), 0);
    uid_t owner = ::geteuid();
    if (owner == 0) {  // root's paths never use XDG_RUNTIME_DIR: hand the directory to a user
        owner = 4242;
        ASSERT_EQ(::chown(dir.path().c_str(), owner, owner), 0);
    }
    PathEnvironment env{owner, "/home/u", std::nullopt, dir.path()};
    auto paths = default_storage_paths(env, std::nullopt, std::nullopt);
    EXPECT_EQ(paths.run_root, dir.path() + "/berth");
    EXPECT_TRUE(paths.run_root_note.empty());

    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    EXPECT_EQ(runtime_dir_problem(dir.path(), owner), dir.path() + " is writable by other users");
    EXPECT_EQ(default_storage_paths(env, std::nullopt, std::nullopt).run_root,
              "/tmp/berth-run-" + std::to_string(owner));
}

TEST(StoragePaths, OverridesWin) {
    PathEnvironment env{1000, "/home/u", std::nullopt, std::nullopt};
    auto paths = default_storage_paths(env, std::string("/r"), std::string("/rr"));
    EXPECT_EQ(paths.graph_root, "/r");
    EXPECT_EQ(paths.run_root, "/rr");
    EXPECT_TRUE(paths.run_root_note.empty());
}

}  // namespace
}  // namespace berth::storage
