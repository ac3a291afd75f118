// `run/create --pod NAME|new:NAME` and what `pod create` makes: a pod record with its infra container.
#pragma once

#include <string>
#include <vector>

#include "cli/storage_context.hpp"
#include "engine/run_options.hpp"
#include "pods/pod_record.hpp"
#include "storage/container_store.hpp"

namespace berth::cli {

// A pod to create: the record's fields from the flags, and the network options its infra gets.
struct NewPod {
    pods::PodRecord record;  // name, labels, shared, hostname, infra_command, add_hosts, publish
    bool infra = true;
    std::string infra_name;      // --infra-name ("" is <pod id 12>-infra)
    engine::RunOptions network;  // network, ports, dns
};

// Creates the pod and its infra container (nothing is left when that fails); returns the pod.
pods::PodRecord create_pod(const StorageContext& storage, NewPod pod);

// --pod: the pod a new container joins ("new:NAME" creates it with the container's ports and network, which then
// go to the infra), with the container's options adapted to it. Returns the pod's id ("" without --pod).
std::string join_pod_for_create(const StorageContext& storage, const std::string& pod_flag,
                                engine::RunOptions& options);

// Removes the directory trees of removed containers at once (rootless: one entry into the user namespace).
void remove_storage_trees(const StorageContext& storage, const std::vector<std::string>& paths);

// Removes the pod's record and directory (its /dev/shm files may belong to the container's users).
void remove_pod_record(const StorageContext& storage, const std::string& pod_id);

// `rm` of a pod's infra: Podman's Error (125) without `whole_pod`; with it (--depend, --all) the pod goes, its
// containers stopped (`timeout` seconds) and removed, the infra last. Returns whether the container is an infra.
bool remove_if_pod_infra(const StorageContext& storage, const storage::ContainerRecord& record, bool whole_pod,
                         int timeout);

}  // namespace berth::cli
