// `berth pull`: an image from a registry into the local store, verified, atomically.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "common/platform.hpp"
#include "registry/auth.hpp"
#include "registry/registries_conf.hpp"

namespace berth::engine {

// How far the download of one layer is; `done` once it is stored (or was there already).
struct LayerProgress {
    std::string digest;
    uint64_t bytes = 0;
    uint64_t total = 0;
    bool done = false;
};

struct PullRequest {
    std::string reference;  // as the user typed it
    std::string graph_root;
    std::optional<Platform> platform;  // default: this host
    std::optional<bool> tls_verify;    // --tls-verify: false means plain HTTP; unset: registries.conf decides
    std::optional<registry::Credentials> credentials;  // --creds: for every place the pull tries
    // Otherwise the credentials stored for a place tried (a registry, a mirror), looked up per place so that
    // credentials go only where they were stored for.
    std::function<std::optional<registry::Credentials>(const registry::Reference&)> stored_credentials;
    // registries.conf files; default: found as Podman finds them ($CONTAINERS_REGISTRIES_CONF, ~/.config/containers,
    // /etc/containers). They decide how a short name resolves and where an image is really pulled from.
    std::optional<registry::RegistriesConfPaths> registries_conf;
    bool rootless = false;                               // unpacking inside the user namespace
    std::function<void(const std::string&)> report;      // progress lines (may be null)
    std::function<void(const LayerProgress&)> progress;  // bytes of each layer as they arrive (may be null)
};

// Pulls the image and returns its id (the config digest). A short name is tried at each candidate in turn (an alias,
// else the unqualified-search registries), each reference at its registry's mirrors and then its own location; the
// image is recorded under the fully-qualified name it resolved to. Layers are fetched in parallel and
// unpacked while they arrive; every blob is checked against its digest before anything that came
// from it is kept, and the image is listed only once all of it is stored.
std::string pull_image(const PullRequest& request);

}  // namespace berth::engine
