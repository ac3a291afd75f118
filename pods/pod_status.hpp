// A pod's status from its containers' states, as Podman derives it: Created, Running, Degraded, Paused, Stopped,
// Exited or Error.
#pragma once

#include <string>
#include <vector>

namespace berth::pods {

// `states` are the containers' states as `ps` names them ("created", "running", "paused", "exited", "stopped").
// No container: Created. All running: Running; all paused: Paused; all created: Created; all exited or stopped:
// Exited (Stopped when none exited); some running: Degraded; anything else: Degraded too.
std::string pod_status(const std::vector<std::string>& states);

}  // namespace berth::pods
