// Options that every berth command accepts.
#pragma once

#include <optional>
#include <string>

#include "storage/rootfs_driver.hpp"

namespace berth::cli {

struct GlobalOptions {
    std::string root;            // --root: storage root (images, layers, containers)
    std::string runroot;         // --runroot: runtime state root
    std::string storage_driver;  // --storage-driver: overlay, fuse-overlayfs or vfs
    std::string log_level = "warn";
    bool debug = false;  // --debug / -D
    bool noout = false;  // --noout
    bool version = false;

    std::optional<std::string> root_override() const;
    std::optional<std::string> runroot_override() const;
    std::optional<storage::RootfsDriver> driver_override() const;
};

}  // namespace berth::cli
