// `berth create` (and the first half of `berth run`): a container record, its bundle and its rootfs directories
// from an image and Podman's run flags.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "engine/container_volumes.hpp"
#include "engine/run_options.hpp"
#include "storage/container_store.hpp"
#include "storage/image_store.hpp"
#include "storage/rootfs_driver.hpp"

namespace berth::engine {

struct CreateRequest {
    std::string graph_root;
    bool rootless = false;
    storage::ImageRecord image;
    // A container of no image (a pod's infra): this image config, and an empty directory as its rootfs.
    std::optional<nlohmann::json> image_config;
    std::string image_name;  // what the container is said to come from (a name of the image, else its id)
    RunOptions options;
    storage::RootfsDriver driver = storage::RootfsDriver::overlay;
    // Fills a vfs rootfs (copies of the layers; rootless callers copy inside their user namespace): the layer
    // directories bottom first, and the target directory.
    std::function<void(const std::vector<std::string>&, const std::string&)> assemble_vfs_rootfs;
    // Copy an image's directory into a new volume, remove a volume's files, give a new volume to the container's
    // user (engine/container_volumes.hpp; rootless callers do it in their user namespace).
    CopyUp copy_up_volume;
    std::function<void(const std::string&)> remove_volume_files;
    ChownVolume chown_volume;
};

// Creates the container: its id and name (--name, else a random free one), its volumes (attach_volumes()), its
// OCI config.json from the image config and the flags (engine/runtime_spec.hpp), its /etc files and its rootfs
// directories. Nothing is left behind when it fails (but the named volumes it made). Errors name the flag or file
// at fault.
storage::ContainerRecord create_container(const CreateRequest& request);

// The layer directories of an image, bottom first.
std::vector<std::string> image_layer_dirs(const std::string& graph_root, const storage::ImageRecord& image);

// The host path of the init for --init: catatonit, else tini(-static), from the usual places; "" when none.
std::string find_init_binary();

}  // namespace berth::engine
