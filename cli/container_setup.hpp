// What `run`, `create` and `build` share to make a container: the create request with the storage's callbacks
// (vfs copies, volume copy-up and ownership done in the storage's user namespace when rootless).
#pragma once

#include "cli/global_options.hpp"
#include "cli/storage_context.hpp"
#include "engine/container_create.hpp"

namespace berth::cli {

// The request for a container of the image with the options; `storage` must outlive it.
engine::CreateRequest container_create_request(const StorageContext& storage, const GlobalOptions& globals,
                                               const storage::ImageRecord& image, engine::RunOptions options);

}  // namespace berth::cli
