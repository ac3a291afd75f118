// `berth push`: a stored image to a registry, with the blobs the store kept from its pull.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "registry/auth.hpp"
#include "registry/reference.hpp"
#include "registry/registries_conf.hpp"
#include "storage/image_store.hpp"
#include "transport/manifest_format.hpp"

namespace berth::transport {

// How far the upload of one blob is; `done` once the registry has it (sent, mounted or there already).
struct BlobProgress {
    std::string digest;
    uint64_t bytes = 0;
    uint64_t total = 0;
    bool done = false;
};

struct PushRequest {
    std::string graph_root;
    storage::ImageRecord image;      // the image to push, as the caller resolved it
    std::string destination;         // "docker://host/repo:tag" or "host/repo:tag"
    std::optional<bool> tls_verify;  // --tls-verify when given (it wins); else not for a registry marked insecure
    std::optional<registry::Credentials> credentials;  // --creds
    // Otherwise the credentials stored for the destination (may be null).
    std::function<std::optional<registry::Credentials>(const registry::Reference&)> stored_credentials;
    // registries.conf files; default: found as Podman finds them. They may mark the registry insecure or blocked.
    std::optional<registry::RegistriesConfPaths> registries_conf;
    ManifestFormat format = ManifestFormat::keep;
    std::string compression = "gzip";  // of the layers: "gzip" or "zstd"
    // Layers larger than this are sent in chunks of this size (a broken chunk resumes); 0: each in one request.
    uint64_t chunk_size = uint64_t{256} * 1024 * 1024;
    std::function<void(const std::string&)> report;     // progress lines (may be null)
    std::function<void(const BlobProgress&)> progress;  // bytes of each layer as they go (may be null)
};

struct PushResult {
    registry::Reference destination;  // normalized
    std::string manifest_digest;      // of the manifest as the registry stores it
};

// Pushes the image: every layer blob and the config that the registry's repository lacks (a blob the registry
// holds in another repository that the image was pulled from or pushed to is mounted from there), in parallel,
// then the manifest under the destination's tag (or digest). Errors name the destination and the step:
// "uploading blob <digest> to <host>/<repo>: authentication required".
PushResult push_image(const PushRequest& request);

}  // namespace berth::transport
