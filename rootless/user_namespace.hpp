// Entering a user namespace where the caller is root and the container ids are the user's
// subordinate ids, so that files of images can belong to the container's users.
#pragma once

#include <string>
#include <vector>

#include "rootless/subordinate_ids.hpp"

namespace berth::rootless {

// The newuidmap/newgidmap arguments for a process: "<pid> 0 <uid> 1 1 <start> <count> ...".
std::vector<std::string> id_map_arguments(int pid, const std::vector<IdMapping>& mappings);

// Moves the calling process (which must have no other threads yet) into a new user namespace
// mapped from `user`'s subordinate ranges with newuidmap/newgidmap, and becomes root in it.
// Without subordinate ranges, maps the user's own ids alone (like `unshare -r`) and warns once.
// Throws Error naming the helper, its output and the fix when the mapping fails.
void enter_user_namespace(const UserIds& user);

// Whether the process already runs in a user namespace other than the initial one.
bool in_user_namespace();

}  // namespace berth::rootless
