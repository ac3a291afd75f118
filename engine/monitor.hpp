// The per-container monitor of a detached container (`run -d`, `start`): a process of its own session, without a
// terminal, that runs the container, writes its output to the log (k8s-file format, engine/container_log.hpp),
// reaps it, records each exit, carries out the restart policy and --rm, and exits. No daemon: one monitor per
// running container, gone with it.
#pragma once

#include <string>

#include "engine/container_start.hpp"

namespace berth::engine {

// The log file of a container (userdata/ctr.log).
std::string container_log_path(const std::string& graph_root, const std::string& id);
// userdata/monitor.pid: the pid of the container's monitor, written when it starts (a systemd unit's PIDFile=).
std::string container_monitor_pid_path(const std::string& graph_root, const std::string& id);

// The FIFO an interactive (-i) detached container reads its stdin from; berth attach writes into it.
std::string container_attach_fifo(const std::string& graph_root, const std::string& id);

// Starts the container under a new monitor and returns once its command runs. Throws Error with the start
// failure (125, 126 or 127) when it cannot start. The monitor is reparented away from the caller (double fork),
// so the caller leaves no zombie behind.
void start_detached(const StartRequest& request);

// Whether the restart policy asks for another run after an exit with `status` (`restarts` done so far).
bool should_restart(const storage::ContainerRecord& record, int status);

}  // namespace berth::engine
