// RUN --mount=type=bind|cache|tmpfs as buildah takes them: a bind of a path of the build context (read-only
// unless rw), a cache directory kept in the store between builds (by id, else by target), a tmpfs.
#pragma once

#include <string>

#include "engine/run_options.hpp"

namespace berth::builder {

// The mount for one --mount value. A bind's source must stay inside the context (symlinks resolved); cache
// directories live in <graph root>/build-cache-mounts/. Throws Error naming the option at fault.
engine::MountSpec run_mount(const std::string& value, const std::string& context_dir, const std::string& graph_root);

}  // namespace berth::builder
