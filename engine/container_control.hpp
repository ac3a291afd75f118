// Acting on containers that run under their monitors: stop, kill, wait, rename, prune. Each finds the container in
// the records and signals its first process, trusted only with its start time and boot (engine/process_identity).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "storage/container_store.hpp"

namespace berth::engine {

// A container by name, id or id prefix, reconciled; Error "no container with name or ID ... found: no such
// container" otherwise.
storage::ContainerRecord find_container(const std::string& graph_root, const std::string& name_or_id);

// Sends the container's stop signal (or `signal` when not 0), waits `timeout` for it to exit, then SIGKILL. The
// restart policy does not apply afterwards. A container that is not running is left alone.
void stop_container(const std::string& graph_root, const storage::ContainerRecord& record,
                    std::chrono::milliseconds timeout);

// Sends a signal to a running container's first process; Error (Podman's "can only kill running containers")
// when it is not running.
void kill_container(const std::string& graph_root, const storage::ContainerRecord& record, int signal);

// Waits until the container is no longer running (or, with `until_running`, until it runs) and returns its exit
// code; -1 when it is removed meanwhile.
int wait_for_container(const std::string& graph_root, const std::string& id, bool until_running = false);

// Gives a container a new name (unique, valid).
void rename_container(const std::string& graph_root, const std::string& name_or_id, const std::string& new_name);

// Waits until the container's monitor and first process are gone (at most `timeout`); whether they are.
bool wait_until_gone(const storage::ContainerRecord& record, std::chrono::milliseconds timeout);

}  // namespace berth::engine
