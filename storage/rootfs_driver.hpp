// The three ways of building a container's rootfs, and the choice between them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::storage {

enum class RootfsDriver { overlay, fuse_overlayfs, vfs };

std::string_view driver_name(RootfsDriver driver);

// "overlay", "fuse-overlayfs" or "vfs"; nothing for any other name.
std::optional<RootfsDriver> parse_rootfs_driver(std::string_view name);

struct DriverChoice {
    RootfsDriver driver = RootfsDriver::vfs;
    std::string reason;                 // why this one
    std::vector<std::string> rejected;  // "overlay: <why not>" for each better driver passed over
};

// What the choice depends on; each probe is a function so the choice itself can be tested.
struct DriverProbes {
    // Empty when kernel overlayfs can be mounted (inside a user namespace when rootless), else why not.
    std::string overlay_problem;
    // Empty when fuse-overlayfs can be used, else why not.
    std::string fuse_overlayfs_problem;
};

// Picks the first usable of overlay, fuse-overlayfs, vfs; a forced driver (--storage-driver) wins.
DriverChoice choose_rootfs_driver(const DriverProbes& probes, bool rootless, std::optional<RootfsDriver> forced);

// Why fuse-overlayfs cannot be used here (empty when it can): the program and /dev/fuse are needed.
std::string fuse_overlayfs_problem();

}  // namespace berth::storage
