// The containers of a pod (pods/): its infra, a container of no image that runs catatonit (`catatonit -P`, or
// --infra-command) and holds the namespaces the pod shares (and publishes its ports), and its members, which
// join the infra's namespaces each time they start (the infra is started first when it is not running).
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/container_create.hpp"
#include "engine/container_start.hpp"
#include "engine/run_options.hpp"
#include "pods/pod_record.hpp"
#include "storage/container_store.hpp"

namespace berth::engine {

// The infra's default command: catatonit in pause mode, bound from the host on /catatonit.
std::vector<std::string> default_infra_command();

// The host path of catatonit; Error when it is not installed.
std::string infra_binary();

// What `pod create` gives the infra: the pod's network options (`network`: --network, -p, --add-host, --dns, ...),
// its hostname and command, catatonit bound in, and the name <pod id 12>-infra.
RunOptions infra_run_options(const pods::PodRecord& pod, RunOptions network);

// The image config of the infra: its command as the entrypoint.
nlohmann::json infra_image_config(const pods::PodRecord& pod);

// A member's options in the pod: with the network shared, the infra's network mode (for its /etc files) and no
// ports of its own (Podman's error when it has some); with uts shared, the pod's hostname (an error with
// --hostname); the pod's --add-host entries first.
void adapt_member_options(const pods::PodRecord& pod, const storage::ContainerRecord& infra, RunOptions& options);

// Starts the infra of the container's pod when it does not run (before the container's own monitor starts: the
// infra gets a monitor of its own). Nothing for a container of no pod, or the infra itself.
void start_pod_infra(const StartRequest& request);

// --exit-policy stop: after a member's exit, the infra is stopped when no other member runs (and the member
// will not be restarted).
void apply_pod_exit_policy(const StartRequest& request, const storage::ContainerRecord& member);

// Brings the loopback device of the process's network namespace up (a pod's infra on a bridge network: its
// containers talk to each other on localhost). Root only; rootless helpers bring it up themselves.
void bring_up_loopback(pid_t pid);

// Whether the container is a pod's infra.
bool is_pod_infra(const std::string& graph_root, const storage::ContainerRecord& record);

// At each start of a member: its spec joins the infra's namespaces (the user namespace too when it has one), the
// infra running (Error when it does not). Returns whether the network is the infra's (nothing to attach then).
// Does nothing for a container of no pod, or of a pod without infra.
bool join_pod_namespaces(const StartRequest& request, const storage::ContainerRecord& member, nlohmann::json& spec);

}  // namespace berth::engine
