// Local image operations: list, resolve, tag, remove (with garbage collection).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "storage/image_store.hpp"

namespace berth::engine {

// Every image, newest first.
std::vector<storage::ImageRecord> list_images(const std::string& graph_root);

// The image a user means by a name ("busybox", "localhost:5000/x:1"), a full or short id.
// Throws Error("<text>: image not known") when there is none.
storage::ImageRecord resolve_image(const std::string& graph_root, const std::string& text);

// Adds a name (normalised as Podman does) to an image.
void tag_image(const std::string& graph_root, const std::string& image, const std::string& new_name);

struct RemovedImage {
    std::vector<std::string> untagged;  // names removed
    std::string deleted;                // the id, when the image itself was removed
};

// Removes a name or, when given an id or the last name, the image; then the layers and blobs
// that no image uses any more.
RemovedImage remove_image(const std::string& graph_root, const std::string& text);

// Removes names from an image (all of them when `names` is empty); returns the names removed.
std::vector<std::string> untag_image(const std::string& graph_root, const std::string& image,
                                     const std::vector<std::string>& names);

// Removes images without names (all images with `all`); returns their ids.
std::vector<std::string> prune_images(const std::string& graph_root, bool all);

// Podman-shaped `image inspect` document: Id, Digest, RepoTags, RepoDigests, Created, Architecture,
// Os, Config, RootFS, Size, ... from the record, the config blob and the manifest.
nlohmann::json inspect_image(const std::string& graph_root, const std::string& text);

// The name a user typed, normalised: "busybox" is docker.io/library/busybox:latest.
std::string normalized_image_name(const std::string& text);

}  // namespace berth::engine
