// The "U" mount option's chown: a tree given to the container's user.
#pragma once

#include <cstdint>
#include <string>

namespace berth::volumes {

// Gives `path` and everything below it (symlinks themselves, never what they point to; no other file system) to
// uid:gid. Rootless callers run it in their user namespace, where container ids are what they name.
// Throws Error("chown <path>: <why>").
void chown_tree(const std::string& path, uint32_t uid, uint32_t gid);

}  // namespace berth::volumes
