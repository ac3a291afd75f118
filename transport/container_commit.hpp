// `berth commit`: a container's changes stored as a new image, the container's image plus one layer.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "storage/container_store.hpp"
#include "storage/image_store.hpp"
#include "transport/manifest_format.hpp"

namespace berth::transport {

struct CommitRequest {
    std::string graph_root;
    storage::ContainerRecord container;
    storage::ImageRecord base;         // the container's image
    std::string base_name;             // how the history comment names it ("FROM <name>")
    std::string name;                  // the new image's name, normalised; empty: a dangling image
    std::string author;                // --author
    std::string message;               // --message: the history comment
    std::vector<std::string> changes;  // --change
    ManifestFormat format = ManifestFormat::oci;
    bool squash = false;    // one layer holding the container's whole filesystem instead of the image's layers + one
    bool rootless = false;  // the layer is unpacked as rootless pulls unpack (opaque markers in user.overlay.*)
    std::function<void(const std::string&)> report;  // progress lines (may be null)
};

// Writes the container's changes as a gzip-compressed layer blob (OCI whiteouts for what it deleted), unpacks it
// into the layer store as a pulled layer is, writes the config (the container's environment, command and working
// directory, then --change; a history entry; the layer's diff id) and the manifest, and records the image under the
// name, all under the image store's lock. Returns the new image's record. Run it where the container's files can be
// read (rootless: in the storage's user namespace).
storage::ImageRecord commit_container(const CommitRequest& request);

// The name `commit` gives an image: "localhost/NAME:latest" for a name without a registry, ":latest" added when
// it has no tag.
std::string commit_image_name(const std::string& text);

}  // namespace berth::transport
