// Which rootfs driver containers of a store get. The first container of a store probes (a real overlay mount,
// inside a user namespace when rootless) and the choice is kept in <graph root>/rootfs-driver, so that later
// containers use the same driver without probing again; --storage-driver overrides it.
#pragma once

#include <optional>
#include <string>

#include "storage/rootfs_driver.hpp"

namespace berth::engine {

// The driver for a new container. fuse-overlayfs is not yet used for containers: a store where only it would
// work gets vfs (with a warning), and asking for it is an Error.
storage::RootfsDriver container_rootfs_driver(const std::string& graph_root, bool rootless,
                                              std::optional<storage::RootfsDriver> forced);

}  // namespace berth::engine
