// Can kernel overlayfs be mounted here? Asked by trying, in a throw-away child process.
#pragma once

#include <string>

namespace berth::storage {

// Empty when a kernel overlayfs mount works on the file system of `base_dir` (inside a new user
// namespace when `in_user_namespace`), else what failed and why. `base_dir` must exist; the probe
// leaves nothing behind in it and changes no mount of the caller.
std::string overlay_mount_problem(const std::string& base_dir, bool in_user_namespace);

}  // namespace berth::storage
