#include "cli/pod_members.hpp"

#include <sys/stat.h>

#include <algorithm>

#include "common/error.hpp"
#include "common/files.hpp"
#include "engine/container_control.hpp"
#include "engine/container_create.hpp"
#include "engine/container_network.hpp"
#include "engine/container_start.hpp"
#include "engine/pod_containers.hpp"
#include "pods/pod_store.hpp"
#include "storage/container_store.hpp"

namespace berth::cli {

namespace {

// /dev/shm of the pod's containers when they share the ipc namespace.
engine::MountSpec shm_mount(const pods::PodStore& store, const std::string& pod_id) {
    return {"bind", store.shm_dir(pod_id), "/dev/shm", {"rbind", "rprivate", "nosuid", "nodev", "noexec"}};
}

}  // namespace

pods::PodRecord create_pod(const StorageContext& storage, NewPod pod) {
    pods::PodStore store(storage.graph_root);
    if (pod.record.name.empty()) {
        pod.record.name = storage::random_container_name();
        while (store.find(pod.record.name)) pod.record.name = storage::random_container_name();
    }
    if (pod.record.created_ns == 0) pod.record.created_ns = engine::unix_now_ns();
    if (pod.infra && pod.record.infra_command.empty()) pod.record.infra_command = engine::default_infra_command();
    if (pod.infra) engine::infra_binary();  // a clear error before anything is made
    if (!pod.infra && !pod.network.ports.empty())
        throw Error("you must have an infra container to publish port bindings to the host");
    auto created = store.create(pod.record);
    if (!pod.infra) return created;
    try {
        engine::CreateRequest request;
        request.graph_root = storage.graph_root;
        request.rootless = storage.rootless;
        request.image_config = engine::infra_image_config(created);
        request.image_name = "";
        request.options = engine::infra_run_options(created, std::move(pod.network));
        if (created.shares("ipc")) {
            make_directories(store.shm_dir(created.id), 0755);
            if (::chmod(store.shm_dir(created.id).c_str(), 01777) != 0)
                throw_last_errno("chmod " + store.shm_dir(created.id));
            request.options.mounts.push_back(shm_mount(store, created.id));
        }
        if (!pod.infra_name.empty()) request.options.name = pod.infra_name;
        auto infra = engine::create_container(request);
        storage::ContainerStore(storage.graph_root).update(infra.id, [&](storage::ContainerRecord& record) {
            record.pod = created.id;
        });
        return store.update(created.id, [&](pods::PodRecord& record) { record.infra_id = infra.id; });
    } catch (...) {
        store.remove(created.id);
        throw;
    }
}

std::string join_pod_for_create(const StorageContext& storage, const std::string& pod_flag,
                                engine::RunOptions& options) {
    if (pod_flag.empty()) return {};
    pods::PodStore store(storage.graph_root);
    pods::PodRecord pod;
    if (pod_flag.starts_with("new:")) {
        NewPod fresh;
        fresh.record.name = pod_flag.substr(4);
        if (fresh.record.name.empty()) throw Error("new pod name must be at least one character");
        fresh.record.shared = pods::default_shared_namespaces();
        fresh.network.network = options.network;
        fresh.network.ports = options.ports;
        fresh.network.dns = options.dns;
        fresh.network.dns_search = options.dns_search;
        fresh.network.dns_option = options.dns_option;
        fresh.record.hostname = options.hostname;  // the pod's, as it shares the uts namespace
        options.network.clear();
        options.ports.clear();
        options.hostname.clear();
        pod = create_pod(storage, std::move(fresh));
    } else {
        pod = store.get(pod_flag);
    }
    if (!pod.infra_id.empty()) {
        auto infra = storage::ContainerStore(storage.graph_root).find(pod.infra_id);
        if (!infra) throw Error("the infra container of pod " + pod.name + " is missing");
        engine::adapt_member_options(pod, *infra, options);
        // The pod's ports are the infra's, published once; its members show them (ps, port, inspect).
        if (pod.shares("net")) options.ports = engine::from_records(infra->ports);
        bool own_shm = std::any_of(options.mounts.begin(), options.mounts.end(),
                                   [](const engine::MountSpec& mount) { return mount.destination == "/dev/shm"; });
        if (pod.shares("ipc") && !own_shm) options.mounts.push_back(shm_mount(store, pod.id));
    }
    return pod.id;
}

void remove_storage_trees(const StorageContext& storage, const std::vector<std::string>& paths) {
    if (paths.empty()) return;
    try {
        run_with_storage_ids(storage, [&] {
            for (const auto& path : paths)
                if (path_exists(path)) remove_tree(path);
            return std::string();
        });
    } catch (const Error&) {
        for (const auto& path : paths)
            if (path_exists(path)) remove_storage_tree(storage, path);
    }
}

void remove_pod_record(const StorageContext& storage, const std::string& pod_id) {
    pods::PodStore store(storage.graph_root);
    if (path_exists(store.shm_dir(pod_id))) remove_storage_tree(storage, store.shm_dir(pod_id));
    store.remove(pod_id);
}

bool remove_if_pod_infra(const StorageContext& storage, const storage::ContainerRecord& record, bool whole_pod,
                         int timeout) {
    if (record.pod.empty()) return false;
    auto pod = pods::PodStore(storage.graph_root).find(record.pod);
    if (!pod || pod->infra_id != record.id) return false;
    if (!whole_pod)
        throw Error("container " + record.id + " is the infra container of pod " + pod->id +
                    " and cannot be removed without removing the pod");
    storage::ContainerStore store(storage.graph_root);
    std::vector<storage::ContainerRecord> members;
    for (const auto& container : store.list())
        if (container.pod == pod->id && container.id != record.id) members.push_back(container);
    members.push_back(record);
    std::vector<std::string> trees;
    auto remove_files = [&trees](const std::string& path) { trees.push_back(path); };
    for (const auto& container : members) {
        auto current = engine::reconciled(container);
        if (engine::container_running(current))
            engine::stop_container(storage.graph_root, current, std::chrono::seconds(timeout));
        engine::remove_container(storage.graph_root, container.id, true, remove_files);
    }
    remove_storage_trees(storage, trees);
    remove_pod_record(storage, pod->id);
    return true;
}

}  // namespace berth::cli
