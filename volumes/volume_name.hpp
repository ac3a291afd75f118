// Volume names: Podman's rule for names, and the random names of anonymous volumes.
#pragma once

#include <string>
#include <string_view>

namespace berth::volumes {

// Whether a name matches Podman's [a-zA-Z0-9][a-zA-Z0-9_.-]* (and is not too long for a directory entry).
bool valid_volume_name(std::string_view name);

// Throws Podman's Error for an invalid name:
// "running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument".
void check_volume_name(std::string_view name);

// A new name for an anonymous volume: 64 random lower-case hex digits.
std::string new_anonymous_volume_name();

// Whether -v's or --mount's source names a volume rather than a host path (it does not start with '/' or '.').
bool names_a_volume(std::string_view source);

}  // namespace berth::volumes
