// Pods: <graph root>/pods/<id>/pod.json, one directory per pod; <graph root>/pods.lock guards them (shared for
// reads, exclusive for changes), so names stay unique. A record is written atomically into its directory, and a
// directory without a record (a create killed half-way) is not a pod: the next removal of pods deletes it.
// The pod's containers (its infra among them) are container records that name the pod (storage/).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/file_lock.hpp"
#include "pods/pod_record.hpp"

namespace berth::pods {

class PodStore {
public:
    explicit PodStore(const std::string& graph_root);

    // Creates the pod's record; its id is made when empty. Podman's Error when the name is taken:
    // `adding pod to state: name "NAME" is in use: pod already exists`.
    PodRecord create(PodRecord record);

    // All pods, oldest first. A record that cannot be read is skipped with a warning naming it.
    std::vector<PodRecord> list() const;

    // A pod by full id, name or unique id prefix; nothing when none matches. Error for an ambiguous prefix.
    std::optional<PodRecord> find(const std::string& name_or_id) const;

    // The pod, or Podman's Error (exit 1 for rm, 125 elsewhere): `no pod with name or ID NAME found: no such pod`.
    PodRecord get(const std::string& name_or_id, int missing_status = 125) const;

    // Changes a record under the exclusive lock (not its id or name); Error when the pod is gone.
    PodRecord update(const std::string& id, const std::function<void(PodRecord&)>& change);

    // Removes the pod's record and directory (no error when missing).
    void remove(const std::string& id);

    // The pod's /dev/shm, a directory its infra and members bind when they share the ipc namespace (a tmpfs of
    // one container's mount namespace cannot be bound into another's).
    std::string shm_dir(const std::string& id) const { return pods_dir_ + "/" + id + "/shm"; }

    FileLock lock_exclusive() const;
    const std::string& pods_dir() const { return pods_dir_; }

private:
    std::optional<PodRecord> load(const std::string& id) const;
    void write(const PodRecord& record) const;

    std::string pods_dir_;
    std::string lock_path_;
};

// A new random pod id (64 hex digits).
std::string new_pod_id();

// Podman's error for a pod that is not there.
[[noreturn]] void throw_no_such_pod(const std::string& name_or_id, int status = 125);

}  // namespace berth::pods
