// A container's file tree against its image's: what `berth diff` lists, `berth commit` stores and `berth export`
// writes. Run it where the container's files can be read (rootless: inside the storage's user namespace).
#pragma once

#include <string>
#include <vector>

#include "storage/container_store.hpp"
#include "storage/layer_diff.hpp"

namespace berth::storage {

struct ContainerTrees {
    TreeView image;               // the image's layers merged
    TreeView container;           // the container's filesystem (overlay: the upper directory over the image)
    std::vector<Change> changes;  // from the image to the container, without the mount points berth makes
};

// Reads both trees: overlay's upper directory over the image's layers, or vfs' copy.
ContainerTrees container_trees(const std::string& graph_root, const ContainerRecord& record);

// The changes of an image's top layer to the layers below it (`layers`: its chain ids, bottom first).
std::vector<Change> image_layer_changes(const std::string& graph_root, const std::vector<std::string>& layers);

// Whether a path is one that berth creates in every container as a mount point (/etc/hosts, /proc, ...): Podman
// leaves these out of a container's changes.
bool is_mount_point_path(const std::string& path);

}  // namespace berth::storage
