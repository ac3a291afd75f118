// A container of the OCI runtime CLI in its state directory: <root>/<id>/state.json (what `create` recorded)
// and <root>/<id>/exec.fifo (there until `start`), and the runtime-spec state derived from them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace berth::runtime {

enum class ContainerStatus { creating, created, running, stopped };

// "creating", "created", "running", "stopped".
const char* status_name(ContainerStatus status);

struct ContainerState {
    std::string id;
    pid_t pid = 0;
    std::uint64_t start_time = 0;  // the process's start time (/proc/PID/stat), to tell a reused pid
    std::string boot_id;
    std::string bundle;   // absolute
    std::string rootfs;   // absolute
    std::string created;  // RFC 3339 UTC with nanoseconds, as runc writes it
    std::string owner;    // "" or the user name of a rootless owner
    bool rootless = false;
    nlohmann::json annotations = nlohmann::json::object();
    std::vector<std::string> cgroup_directories;  // the container's own cgroups (processes killed on delete)
    std::vector<std::string> cgroups_created;     // every directory create made, parents first
    // The spec's hooks (poststart and poststop run after create is gone).
    nlohmann::json hooks = nlohmann::json::object();
};

// Container ids as runc takes them: letters, digits, '_', '+', '-' and '.', not "." or "..".
bool valid_container_id(const std::string& id);

// The state directory of one container.
std::string container_directory(const std::string& root, const std::string& id);
std::string exec_fifo_path(const std::string& root, const std::string& id);

// Reads <root>/<id>/state.json; throws Error("container does not exist") when there is none.
ContainerState read_container_state(const std::string& root, const std::string& id);
// Writes it atomically (mode 0600).
void write_container_state(const std::string& root, const ContainerState& state);

// Whether the process is gone (or its pid now names another process), waiting for `start`, or running.
ContainerStatus current_status(const std::string& root, const ContainerState& state);

// The runtime-spec state document: ociVersion, id, status, pid (0 once stopped), bundle, annotations, and
// runc's rootfs, created and owner.
nlohmann::json state_document(const ContainerState& state, ContainerStatus status);

// The ids in the state directory with a state.json, sorted.
std::vector<std::string> container_ids(const std::string& root);

// The current time as runc writes `created`: 2026-12-06T21:13:59.34805935Z.
std::string rfc3339_now();

}  // namespace berth::runtime
