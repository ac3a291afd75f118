// The runtime-spec operations on a state directory, as runc and crun offer them: create (the process waits on
// its exec FIFO), start, state, kill, delete, and run (create + start, then wait and delete). Errors are
// Error with runc's messages ("container does not exist", "cannot start an already running container").
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"

namespace berth::runtime {

struct CreateRequest {
    std::string root;  // the state directory of every container
    std::string id;
    std::string bundle = ".";
    std::string pid_file;        // where the container's pid is written; "" none
    std::string console_socket;  // process.terminal: the AF_UNIX socket the terminal's master is sent to
    int preserve_fds = 0;        // descriptors 3.. passed on to the container's process
    bool no_pivot = false;
    bool no_new_keyring = false;
    bool rootless = false;  // recorded in the state; the caller is unprivileged
    // process.terminal without a console socket (a foreground `run`): the master comes back to the caller.
    bool keep_terminal = false;
    // berth's extension: a seccomp profile for a spec without linux.seccomp ("" none, as the spec says).
    std::string default_seccomp;
};

struct CreatedContainer {
    pid_t pid = 0;
    UniqueFd terminal;  // keep_terminal: the pseudo-terminal's master
};

// Creates the container, leaves its process waiting for start and returns. Runs the createRuntime (and the
// deprecated prestart) hooks once its namespaces exist.
CreatedContainer oci_create(const CreateRequest& request);

// Lets a created container's process exec its command; runs the poststart hooks.
void oci_start(const std::string& root, const std::string& id);

// The runtime-spec state document.
nlohmann::json oci_state(const std::string& root, const std::string& id);

// Sends `signal` to the container's first process, or with `all` to every process in its cgroups.
void oci_kill(const std::string& root, const std::string& id, int signal, bool all);

// Removes a stopped (or created) container: its cgroups, the poststop hooks, its state directory. `force`
// kills a running one first, and takes a missing container for deleted.
void oci_delete(const std::string& root, const std::string& id, bool force);

// create + start; without `detach` waits for the container (relaying its terminal, forwarding signals),
// deletes it, and returns its exit status.
int oci_run(const CreateRequest& request, bool detach);

struct ExecRequest {
    std::string root;
    std::string id;
    std::string process_file;       // a runtime-spec process (JSON); else the bundle's with the flags below
    std::vector<std::string> args;  // the command
    bool tty = false;
    bool detach = false;  // return once the process runs; pid_file names it
    std::string pid_file;
    std::string cwd;
    std::vector<std::string> env;   // KEY=VALUE, replacing the bundle's KEY
    std::string user;               // uid[:gid]
    std::vector<std::string> caps;  // added to every capability set
    std::string console_socket;     // with a terminal: where its master goes (else relayed here)
};

// Runs another process in a running container (its namespaces and cgroups, the bundle's seccomp filter);
// without detach waits for it and returns its exit status.
int oci_exec(const ExecRequest& request);

// The state documents of every container, by id.
std::vector<nlohmann::json> oci_list(const std::string& root);

// The pids of the container's processes (from its cgroups, else its pid namespace, else its first process).
std::vector<pid_t> oci_pids(const std::string& root, const std::string& id);

}  // namespace berth::runtime
