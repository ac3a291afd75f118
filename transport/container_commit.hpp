// `berth commit`: a container's changes stored as a new image, the container's image plus one layer.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "storage/container_store.hpp"
#include "storage/image_store.hpp"
#include "storage/layer_tar.hpp"
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

// A new image from a base image (none: from scratch), a new config and, when `write_layer` is set, one more layer
// whose tar stream it writes: what commit_container() and `berth build` store.
struct ImageCommit {
    std::string graph_root;
    std::optional<storage::ImageRecord> base;  // nothing: an image of its own layer only (FROM scratch)
    nlohmann::json config;                     // the new image config's "config" object
    std::string author;
    std::vector<nlohmann::json> history;  // entries appended to the base's history, the new layer's among them
    std::function<void(const storage::ByteSink&)> write_layer;  // null: no new layer
    std::string name;                                           // normalised; empty: a dangling image
    ManifestFormat format = ManifestFormat::oci;
    bool squash = false;    // the new layer replaces the base's layers
    bool rootless = false;  // the layer is unpacked as rootless pulls unpack
    std::function<void(const std::string&)> report;
};

// Writes the layer blob (gzip), unpacks it into the layer store, writes the config and the manifest, and records
// the image, all under the image store's lock. An image with the same config (the same id) is the same image: its
// record is kept, the name added. Run it where layer files can be written (rootless: in the user namespace).
storage::ImageRecord commit_image(const ImageCommit& commit);

// Writes a container's changes to its image as a layer's tar stream (OCI whiteouts for what it deleted), or its
// whole filesystem when `squash`; paths of `left_out` that the container added (mount points made for its mounts,
// "/run/secrets/id") are not. Run it where the container's files can be read.
std::function<void(const storage::ByteSink&)> container_layer_writer(const std::string& graph_root,
                                                                     const storage::ContainerRecord& container,
                                                                     bool squash = false,
                                                                     const std::vector<std::string>& left_out = {});

// RFC 3339 in UTC with nanoseconds, as the image spec's "created".
std::string timestamp_now();

// The name `commit` gives an image: "localhost/NAME:latest" for a name without a registry, ":latest" added when
// it has no tag.
std::string commit_image_name(const std::string& text);

}  // namespace berth::transport
