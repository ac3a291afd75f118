#include "storage/rootfs_driver.hpp"

#include <fcntl.h>

#include <cerrno>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"

namespace berth::storage {

std::string_view driver_name(RootfsDriver driver) {
    switch (driver) {
        case RootfsDriver::overlay: return "overlay";
        case RootfsDriver::fuse_overlayfs: return "fuse-overlayfs";
        case RootfsDriver::vfs: return "vfs";
    }
    return "vfs";
}

std::optional<RootfsDriver> parse_rootfs_driver(std::string_view name) {
    for (auto driver : {RootfsDriver::overlay, RootfsDriver::fuse_overlayfs, RootfsDriver::vfs})
        if (driver_name(driver) == name) return driver;
    return std::nullopt;
}

DriverChoice choose_rootfs_driver(const DriverProbes& probes, bool rootless, std::optional<RootfsDriver> forced) {
    DriverChoice choice;
    if (forced) {
        choice.driver = *forced;
        choice.reason = "set with --storage-driver";
        return choice;
    }
    if (probes.overlay_problem.empty()) {
        choice.driver = RootfsDriver::overlay;
        choice.reason =
            rootless ? "kernel overlayfs can be mounted inside a user namespace" : "kernel overlayfs is available";
        return choice;
    }
    choice.rejected.push_back("overlay: " + probes.overlay_problem);
    if (probes.fuse_overlayfs_problem.empty()) {
        choice.driver = RootfsDriver::fuse_overlayfs;
        choice.reason = "kernel overlayfs cannot be used; fuse-overlayfs can";
        return choice;
    }
    choice.rejected.push_back("fuse-overlayfs: " + probes.fuse_overlayfs_problem);
    choice.driver = RootfsDriver::vfs;
    choice.reason = "neither overlayfs nor fuse-overlayfs can be used; vfs copies every layer (slow, uses more disk)";
    return choice;
}

std::string fuse_overlayfs_problem() {
    if (!find_in_path("fuse-overlayfs")) return "fuse-overlayfs not found in $PATH: install the fuse-overlayfs package";
    UniqueFd fuse(::open("/dev/fuse", O_RDWR | O_CLOEXEC));
    if (!fuse) return "cannot open /dev/fuse: " + errno_text(errno);
    return {};
}

}  // namespace berth::storage
