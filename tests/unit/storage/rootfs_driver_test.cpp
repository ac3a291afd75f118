#include "storage/rootfs_driver.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/error.hpp"
#include "common/files.hpp"
#include "storage/overlay_probe.hpp"

namespace berth::storage {
namespace {

TEST(RootfsDriver, NamesRoundTrip) {
    for (auto driver : {RootfsDriver::overlay, RootfsDriver::fuse_overlayfs, RootfsDriver::vfs})
        EXPECT_EQ(parse_rootfs_driver(driver_name(driver)), driver);
    EXPECT_EQ(parse_rootfs_driver("btrfs"), std::nullopt);
}

TEST(RootfsDriver, PrefersOverlayThenFuseThenVfs) {
    EXPECT_EQ(choose_rootfs_driver({"", ""}, true, std::nullopt).driver, RootfsDriver::overlay);

    auto fuse = choose_rootfs_driver({"mount overlay: Operation not permitted", ""}, true, std::nullopt);
    EXPECT_EQ(fuse.driver, RootfsDriver::fuse_overlayfs);
    EXPECT_EQ(fuse.rejected, std::vector<std::string>{"overlay: mount overlay: Operation not permitted"});

    auto vfs = choose_rootfs_driver({"no overlay", "cannot open /dev/fuse: Permission denied"}, true, std::nullopt);
    EXPECT_EQ(vfs.driver, RootfsDriver::vfs);
    EXPECT_EQ(vfs.rejected.size(), 2u);
    EXPECT_NE(vfs.reason.find("slow"), std::string::npos);
}

TEST(RootfsDriver, ForcedDriverWins) {
    auto forced = choose_rootfs_driver({"", ""}, true, RootfsDriver::vfs);
    EXPECT_EQ(forced.driver, RootfsDriver::vfs);
    EXPECT_EQ(forced.reason, "set with --storage-driver");
}

size_t entries_in(const std::string& dir) {
    size_t count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++count;
    return count;
}

// This machine's kernel allows overlayfs in user namespaces; the probe must see it and clean up.
TEST(OverlayProbe, KernelOverlayWorksInAUserNamespaceAndLeavesNothing) {
    TempDir base("/var/tmp", "berth-probe-");
    EXPECT_EQ(overlay_mount_problem(base.path(), true), "");
    EXPECT_EQ(entries_in(base.path()), 0u);
}

TEST(OverlayProbe, MissingBaseDirectoryIsAnError) {
    EXPECT_THROW(overlay_mount_problem("/nonexistent/berth", true), Error);
}

}  // namespace
}  // namespace berth::storage
