// Starting a container that exists: the calling process becomes its monitor. It marks the container running,
// runs its config.json with berth's executor (the overlay rootfs mounted inside the container's namespaces),
// reaps it, records the exit, and removes the container when it was created with --rm.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "runtime/seccomp_filter.hpp"
#include "storage/container_store.hpp"

namespace berth::engine {

struct StartRequest {
    std::string graph_root;
    std::string run_root;
    std::string id;  // full id
    // Removes a container's directory tree (rootless callers remove it inside their user namespace).
    std::function<void(const std::string&)> remove_files;
    bool forward_signals = true;  // --sig-proxy (attached runs)
};

// Runs the container with the caller's stdin, stdout and stderr and returns its exit status. Throws Error
// (125, or 126/127 when the command cannot be run) when it cannot start; the record says why either way.
// Error "container X is already running" when another process runs it.
int run_attached(const StartRequest& request);

// One run of the container by the calling process, its monitor: marks it running (a restart counts in
// restart_count; a start by a user clears it and stopped_by_user), runs it, calls `on_running` once its command
// runs, records the exit and returns the status. Does not apply --rm. Throws Error as run_attached does.
int run_once(const StartRequest& request, const std::function<void()>& on_running, bool restart);

// Removes the container when it was created with --rm (a warning when that fails).
void remove_if_asked(const StartRequest& request);

// A record as it really is: a container marked running whose monitor and first process are both gone (killed, or
// a reboot since: pids are trusted only with their start time and boot id) is exited. Changes nothing on disk.
storage::ContainerRecord reconciled(storage::ContainerRecord record);
bool container_running(const storage::ContainerRecord& record);

// Removes a container that is not running (Error with Podman's message when it is and `force` is false).
void remove_container(const std::string& graph_root, const std::string& name_or_id, bool force,
                      const std::function<void(const std::string&)>& remove_files);

// The seccomp profile a container was created with: berth's default, none ("unconfined"), or the custom profile
// kept in its userdata (read and checked again here; `custom` holds it while `profile` points at it).
struct ContainerSeccomp {
    std::optional<runtime::seccomp::Profile> custom;
    const runtime::seccomp::Profile* profile = nullptr;
};
void load_container_seccomp(const storage::ContainerRecord& record, const std::string& userdata,
                            ContainerSeccomp& seccomp);

// Unix time now, in nanoseconds.
int64_t unix_now_ns();

}  // namespace berth::engine
