#include "engine/container_start.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "engine/container_network.hpp"
#include "engine/pod_containers.hpp"
#include "runtime/executor.hpp"
#include "runtime/process_identity.hpp"
#include "runtime/seccomp_filter.hpp"
#include "storage/layer_store.hpp"
#include "volumes/volume_users.hpp"

namespace berth::engine {
namespace {

// Podman's `rm` exit status for a running container without --force.
constexpr int exit_container_running = 2;

std::string short_id(const std::string& id) { return id.substr(0, 12); }

bool monitor_alive(const storage::ContainerRecord& record) {
    return runtime::same_process_alive(record.monitor_pid, record.monitor_start_time, record.boot_id);
}

// The path of `path` below `base` ("layers/x/diff" for "<base>/layers/x/diff").
std::string relative_to(const std::string& base, const std::string& path) {
    if (path.size() > base.size() + 1 && path.compare(0, base.size(), base) == 0 && path[base.size()] == '/')
        return path.substr(base.size() + 1);
    return path;
}

runtime::OverlayRootfs overlay_of(const std::string& graph_root, const storage::ContainerRecord& record,
                                  const storage::ContainerPaths& paths) {
    runtime::OverlayRootfs overlay;
    overlay.base_dir = graph_root;
    storage::LayerStore layers(graph_root);
    for (auto chain_id = record.layers.rbegin(); chain_id != record.layers.rend(); ++chain_id) {
        if (!layers.contains(*chain_id))
            throw Error("container " + short_id(record.id) + ": image layer " + *chain_id + " is missing");
        overlay.lower.push_back(relative_to(graph_root, layers.diff_path(*chain_id)));
    }
    overlay.upper = relative_to(graph_root, paths.upper);
    overlay.work = relative_to(graph_root, paths.work);
    return overlay;
}

// Marks the container running with this process as its monitor, or throws when it already runs.
storage::ContainerRecord claim(storage::ContainerStore& store, const std::string& id, bool restart) {
    auto start_time = runtime::process_start_time(::getpid()).value_or(0);
    auto boot_id = runtime::current_boot_id();
    return store.update(id, [&](storage::ContainerRecord& record) {
        if ((record.state == storage::ContainerState::running || record.state == storage::ContainerState::paused) &&
            monitor_alive(record))
            throw Error("container " + short_id(id) + " is already running: container state improper");
        record.state = storage::ContainerState::running;
        record.pid = 0;
        record.pid_start_time = 0;
        record.monitor_pid = ::getpid();
        record.monitor_start_time = start_time;
        record.boot_id = boot_id;
        record.started_ns = unix_now_ns();
        record.error.clear();
        if (restart) {
            ++record.restart_count;
        } else {
            record.restart_count = 0;
            record.stopped_by_user = false;
        }
    });
}

void record_exit(storage::ContainerStore& store, const std::string& id, int status, const std::string& error) {
    store.update(id, [&](storage::ContainerRecord& record) {
        record.state = storage::ContainerState::exited;
        record.exit_code = status;
        record.error = error;
        record.pid = 0;
        record.monitor_pid = 0;
        record.finished_ns = unix_now_ns();
    });
}

// --rm: the container goes, and with it its anonymous volumes.
void remove_after_exit(storage::ContainerStore& store, const storage::ContainerRecord& record,
                       const std::function<void(const std::string&)>& remove_files) {
    try {
        store.remove(record.id, remove_files);
        const std::string& containers_dir = store.containers_dir();  // <graph root>/containers
        volumes::remove_anonymous_volumes(containers_dir.substr(0, containers_dir.rfind('/')), record.volumes,
                                          remove_files);
    } catch (const std::exception& error) {
        log_warning("remove container " + short_id(record.id) + " after it exited: " + error.what());
    }
}

}  // namespace

void load_container_seccomp(const storage::ContainerRecord& record, const std::string& userdata,
                            ContainerSeccomp& chosen) {
    if (record.seccomp_profile.empty()) {
        chosen.profile = &runtime::seccomp::default_profile();
    } else if (record.seccomp_profile != "unconfined") {
        std::string path = userdata + "/" + record.seccomp_profile;
        chosen.custom = runtime::seccomp::parse_profile(read_file(path), path);
        chosen.profile = &*chosen.custom;
    }
}

int64_t unix_now_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

storage::ContainerRecord reconciled(storage::ContainerRecord record) {
    bool live = record.state == storage::ContainerState::running || record.state == storage::ContainerState::paused;
    if (!live || monitor_alive(record)) return record;
    // A monitor killed with SIGKILL leaves its container running, reparented: it is still running.
    if (runtime::same_process_alive(record.pid, record.pid_start_time, record.boot_id)) return record;
    record.state = storage::ContainerState::exited;
    record.pid = 0;
    record.monitor_pid = 0;
    if (record.error.empty()) record.error = "the container's monitor ended before it recorded the exit";
    if (record.finished_ns == 0 || record.finished_ns < record.started_ns) record.finished_ns = record.started_ns;
    return record;
}

bool container_running(const storage::ContainerRecord& record) {
    auto state = reconciled(record).state;
    return state == storage::ContainerState::running || state == storage::ContainerState::paused;
}

int run_once(const StartRequest& request, const std::function<void()>& on_running, bool restart) {
    storage::ContainerStore store(request.graph_root);
    auto record = claim(store, request.id, restart);
    auto paths = store.paths_of(record.id);
    int status = 0;
    try {
        auto spec = nlohmann::json::parse(read_file(paths.spec), nullptr, false);
        if (spec.is_discarded()) throw Error(paths.spec + ": malformed JSON");
        ContainerSeccomp seccomp;
        load_container_seccomp(record, paths.userdata, seccomp);
        runtime::ExecutorOptions options;
        options.default_seccomp = seccomp.profile;
        options.seccomp_cache_dir = request.run_root;
        options.container_id = record.id;
        options.terminal_input = record.interactive;
        options.forward_signals = request.forward_signals;
        std::optional<runtime::OverlayRootfs> overlay;
        if (record.driver == "overlay") {
            overlay = overlay_of(request.graph_root, record, paths);
            options.overlay = &*overlay;
        }
        // The network: checked and its host ports bound before anything runs, attached once the container's
        // namespaces exist, and torn down (helpers stopped, forwards removed) when it has exited.
        // A member of a pod joins its infra's namespaces, the network among them: then it has none to attach.
        bool pod_network = join_pod_namespaces(request, record, spec);
        std::optional<ContainerNetwork> network;
        if (!pod_network) {
            network.emplace(record, request.graph_root, request.run_root, paths.userdata);
            network->prepare();
            bool infra = is_pod_infra(request.graph_root, record);
            options.before_start = [&, infra](pid_t pid) {
                network->attach(pid);
                if (infra) bring_up_loopback(pid);
            };
        }
        options.on_start = [&](pid_t pid) {
            auto start_time = runtime::process_start_time(pid).value_or(0);
            store.update(record.id, [&](storage::ContainerRecord& running) {
                running.pid = pid;
                running.pid_start_time = start_time;
            });
            if (on_running) on_running();
        };
        status = runtime::run_container(spec, paths.userdata, options);
        if (network) network->detach();
    } catch (const Error& error) {
        record_exit(store, record.id, error.exit_status(), error.what());
        throw;
    }
    record_exit(store, record.id, status, "");
    apply_pod_exit_policy(request, record);
    return status;
}

void remove_if_asked(const StartRequest& request) {
    storage::ContainerStore store(request.graph_root);
    auto record = store.find(request.id);
    if (record && record->remove_after_exit) remove_after_exit(store, *record, request.remove_files);
}

int run_attached(const StartRequest& request) {
    start_pod_infra(request);
    int status = 0;
    try {
        status = run_once(request, {}, false);
    } catch (const Error&) {
        remove_if_asked(request);
        throw;
    }
    remove_if_asked(request);
    return status;
}

void remove_container(const std::string& graph_root, const std::string& name_or_id, bool force,
                      const std::function<void(const std::string&)>& remove_files) {
    storage::ContainerStore store(graph_root);
    auto found = store.find(name_or_id);
    if (!found) throw Error("no container with name or ID \"" + name_or_id + "\" found: no such container", 1);
    auto record = reconciled(*found);
    if (container_running(record)) {
        store.update(record.id, [](storage::ContainerRecord& stopping) { stopping.stopped_by_user = true; });
        if (!force)
            throw Error("cannot remove container " + record.id +
                            " as it is running - running or paused containers cannot be removed without force: "
                            "container state improper",
                        exit_container_running);
        if (runtime::same_process_alive(record.pid, record.pid_start_time, record.boot_id)) ::kill(record.pid, SIGKILL);
        for (int attempt = 0;
             attempt < 1000 &&
             (monitor_alive(record) || runtime::same_process_alive(record.pid, record.pid_start_time, record.boot_id));
             ++attempt)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    store.remove(record.id, remove_files);
}

}  // namespace berth::engine
