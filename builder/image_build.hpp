// `berth build`: the stages of a Containerfile run in order, each instruction applied to the stage's image config,
// RUN in a container of the stage's image (engine/), COPY as a layer of context files, each layer committed as an
// intermediate image (transport/) that the layer cache remembers.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/run_options.hpp"
#include "storage/container_store.hpp"
#include "storage/image_store.hpp"
#include "transport/manifest_format.hpp"

namespace berth::builder {

struct BuildOptions {
    std::string containerfile;       // its text
    std::string containerfile_name;  // for errors: "Containerfile"
    std::string context_dir;         // absolute
    std::vector<std::string> tags;   // normalised names
    std::string target;              // --target: the last stage to build
    std::map<std::string, std::string> build_args;
    std::map<std::string, std::string> labels;  // --label
    bool use_cache = true;                      // not --no-cache
    bool layers = true;                         // --layers: remember intermediate images
    transport::ManifestFormat format = transport::ManifestFormat::oci;
    std::string network = "host";                    // RUN's network
    std::vector<std::string> cap_add;                // --cap-add for RUN, normalised
    std::vector<engine::MountSpec> volumes;          // --volume for RUN
    bool squash_all = false;                         // --squash-all: one layer
    std::map<std::string, std::string> secrets;      // --secret id=ID,src=FILE: absolute files by id
    std::function<void(const std::string&)> report;  // step lines (may be null)
};

// What the build needs from its caller, which knows the storage and the user namespace.
struct BuildHost {
    std::string graph_root;
    bool rootless = false;
    std::function<storage::ImageRecord(const std::string&)> image;  // finds, else pulls, an image by name
    std::function<storage::ContainerRecord(const storage::ImageRecord&, const engine::RunOptions&)> create;
    std::function<int(const std::string&)> run;      // runs a container attached; its exit status
    std::function<void(const std::string&)> remove;  // removes a container
    std::function<std::string(const std::function<std::string()>&)> with_storage_ids;  // rootless: in the userns
};

// Builds the image and returns its id ("sha256:..."). Errors name the file, line and instruction; a failing RUN's
// exit status is the Error's.
std::string build_image(const BuildOptions& options, const BuildHost& host);

}  // namespace berth::builder
