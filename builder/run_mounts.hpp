// RUN --mount=type=bind|cache|tmpfs|secret as buildah takes them: a bind of a path of the build context
// (read-only unless rw), a cache directory kept in the store between builds (by id, else by target), a tmpfs, and a
// --secret file bound read-only at /run/secrets/<id> (or target=), never part of a layer.
#pragma once

#include <map>
#include <string>

#include "engine/run_options.hpp"

namespace berth::builder {

// The mount for one --mount value. A bind's source must stay inside the context (symlinks resolved); cache
// directories live in <graph root>/build-cache-mounts/. Throws Error naming the option at fault.
// `secrets`: the --secret ids and their files.
engine::MountSpec run_mount(const std::string& value, const std::string& context_dir, const std::string& graph_root,
                            const std::map<std::string, std::string>& secrets = {});

}  // namespace berth::builder
