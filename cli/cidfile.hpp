// --cidfile: the file run and create write the new container's id to, and stop and rm read ids from (what a
// `generate systemd --new` unit uses to find its container).
#pragma once

#include <string>
#include <vector>

namespace berth::cli {

// Throws Podman's error when the file exists already: another container may be using it.
void check_cidfile_free(const std::string& path);

// Writes `id` to a new file at `path` (no newline, as Podman).
void write_cidfile(const std::string& path, const std::string& id);

}  // namespace berth::cli
