// The hook between a container's creation and volumes/: its -v/--mount volumes and its image's VOLUMEs become
// bind mounts of volume data directories.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/run_options.hpp"

namespace berth::engine {

// Copies an image's directory (layer directories bottom first, the path in the image) into a new directory,
// returning whether the image had one (volumes::copy_up_image_path; rootless callers run it in their namespace).
using CopyUp = std::function<bool(const std::vector<std::string>&, const std::string&, const std::string&)>;

// Gives a volume's data directory (or with `recursive` a whole tree, for "U") to a container user (container ids;
// rootless callers chown in their namespace).
using ChownVolume = std::function<void(const std::string& path, uint32_t uid, uint32_t gid, bool recursive)>;

struct VolumeContext {
    std::string graph_root;
    std::vector<std::string> layer_dirs;                   // the image's, bottom first
    CopyUp copy_up;                                        // empty: volumes::copy_up_image_path in this process
    std::function<void(const std::string&)> remove_files;  // removes a volume's tree; empty: remove_tree()
    ChownVolume chown;                                     // empty: lchown in this process
};

// Adds an anonymous volume for each of the image's config Volumes that no mount of the flags covers, then turns
// every "volume" mount into a bind of its volume's data (or the volume's tmpfs or device), creating named volumes
// on first use and anonymous ones, and copying the image's content in where the volume still needs it. Returns
// the names of the volumes, to be kept in the container's record. When it throws, the anonymous volumes it made
// are gone again.
std::vector<std::string> attach_volumes(const VolumeContext& context, const nlohmann::json& image_config,
                                        std::vector<MountSpec>& mounts);

// Podman's first-use chown: each volume among `names` that still needs it (no copy-up gave it an owner) is given
// to the container's user, `uid` and `gid` from its spec; the root user needs nothing.
void chown_new_volumes(const VolumeContext& context, const std::vector<std::string>& names, uint32_t uid, uint32_t gid);

// --volumes-from CONTAINER[:ro|rw]: the volumes and bind mounts of another container, at the same destinations,
// read-only or not as there unless the option says otherwise. Podman's Error when the container does not exist.
std::vector<MountSpec> mounts_from_container(const std::string& graph_root, const std::string& value);

// The "U" option: the source of each such mount (a volume's data by now) is given, recursively, to the container's
// user.
void chown_marked_mounts(const VolumeContext& context, const std::vector<MountSpec>& mounts, uint32_t uid,
                         uint32_t gid);

// Removes the anonymous volumes among `names` (those attach_volumes() made for a container whose creation failed).
void remove_new_anonymous_volumes(const VolumeContext& context, const std::vector<std::string>& names);

}  // namespace berth::engine
