// The processes of a running container, found from the host: every process in the PID namespace of the
// container's first process. For `berth top`, `berth pause` and `berth unpause`.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "storage/container_store.hpp"

namespace berth::engine {

struct ProcessInfo {
    pid_t pid = 0;        // as the host sees it
    pid_t ppid = 0;       // as the host sees it
    uid_t uid = 0;        // real uid, as the host sees it
    std::string state;    // R, S, T, Z, ...
    std::string command;  // the command line, or [comm] when it has none
    uint64_t start_ticks = 0;
    uint64_t cpu_ticks = 0;  // user + system
    int tty = 0;             // tty_nr
};

// The container's processes, its first process first; empty when it does not run. Processes the caller may not
// inspect are left out.
std::vector<ProcessInfo> container_processes(const storage::ContainerRecord& record);

// Sends a signal to every process of the container (pause: SIGSTOP, unpause: SIGCONT); returns how many got it.
int signal_container_processes(const storage::ContainerRecord& record, int signal);

}  // namespace berth::engine
