// Pulling for other commands: `berth run` and `berth create` pull an image they do not have.
#pragma once

#include <optional>
#include <string>

#include "cli/storage_context.hpp"

namespace berth::cli {

// Pulls `reference` with the stored credentials, progress on stderr unless quiet, writing the storage as its
// files' owners (rootless: in a child inside the user namespace); returns the image id.
struct ContainerPull {
    std::string reference;
    bool quiet = false;
    std::optional<bool> tls_verify;  // --tls-verify, when given
    std::string authfile;
};
std::string pull_for_container(const StorageContext& storage, const ContainerPull& pull);

}  // namespace berth::cli
