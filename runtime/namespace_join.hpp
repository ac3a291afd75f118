// Joining a running container from outside: its namespaces (user first) and, as root, its cgroups, as exec does.
#pragma once

#include <sys/types.h>

namespace berth::runtime {

// Moves the calling process into the namespaces of `pid` that differ from its own (user first, mount last) and,
// as root, into its cgroups. Throws Error naming the namespace it could not open or join.
void join_namespaces(pid_t pid);

}  // namespace berth::runtime
