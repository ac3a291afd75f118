// `berth exec`: another process in a running container. It joins every namespace of the container's first
// process (the user namespace first, when the container has one), its cgroups where berth may write them, and
// runs with the container's capabilities, seccomp profile, rlimits and no_new_privs setting.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace berth::engine {

struct ExecRequest {
    std::string graph_root;
    std::string run_root;
    std::string id;  // full id of a running container
    std::vector<std::string> command;
    std::vector<std::pair<std::string, std::string>> env;  // added to (or replacing) the container's
    std::string user;                                      // -u: "" is the container's user
    std::string workdir;                                   // -w: "" is the container's
    bool tty = false;
    bool interactive = false;
    bool privileged = false;  // every capability the container's bounding set allowed
};

// Runs the command in the foreground and returns its status. Throws Error (125; 126 or 127 when the command
// cannot be run) when the container is not running or the process cannot be started.
int exec_in_container(const ExecRequest& request);

// The same in the background: returns once the process was forked, without waiting (exec -d).
void exec_detached(const ExecRequest& request);

}  // namespace berth::engine
