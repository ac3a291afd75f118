#include "engine/container_control.hpp"

#include <signal.h>

#include <thread>

#include "common/error.hpp"
#include "common/log.hpp"
#include "engine/container_processes.hpp"
#include "engine/container_start.hpp"
#include "engine/runtime_spec.hpp"
#include "runtime/process_identity.hpp"

namespace berth::engine {
namespace {

constexpr auto poll_interval = std::chrono::milliseconds(10);

bool first_process_alive(const storage::ContainerRecord& record) {
    return runtime::same_process_alive(record.pid, record.pid_start_time, record.boot_id);
}

bool monitor_alive(const storage::ContainerRecord& record) {
    return runtime::same_process_alive(record.monitor_pid, record.monitor_start_time, record.boot_id);
}

}  // namespace

storage::ContainerRecord find_container(const std::string& graph_root, const std::string& name_or_id) {
    auto found = storage::ContainerStore(graph_root).find(name_or_id);
    if (!found) throw Error("no container with name or ID \"" + name_or_id + "\" found: no such container");
    return reconciled(*found);
}

bool wait_until_gone(const storage::ContainerRecord& record, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (!first_process_alive(record) && !monitor_alive(record)) return true;
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(poll_interval);
    }
}

void stop_container(const std::string& graph_root, const storage::ContainerRecord& found,
                    std::chrono::milliseconds timeout) {
    storage::ContainerStore store(graph_root);
    auto record = store.update(found.id, [](storage::ContainerRecord& stopping) { stopping.stopped_by_user = true; });
    record = reconciled(record);
    if (!container_running(record)) return;
    // Paused processes get the stop signal when they go on.
    if (record.state == storage::ContainerState::paused) {
        signal_container_processes(record, SIGCONT);
        store.update(record.id,
                     [](storage::ContainerRecord& resumed) { resumed.state = storage::ContainerState::running; });
    }
    if (record.pid == 0) {
        // Still starting: wait for the first process to be recorded.
        for (int attempt = 0; attempt < 500 && record.pid == 0 && monitor_alive(record); ++attempt) {
            std::this_thread::sleep_for(poll_interval);
            record = store.find(record.id).value_or(record);
        }
    }
    // As Podman: a timeout of 0 kills at once; otherwise the stop signal, the wait, then a warning and SIGKILL.
    if (timeout.count() > 0) {
        if (first_process_alive(record)) ::kill(record.pid, parse_signal(record.stop_signal));
        if (wait_until_gone(record, timeout)) return;
    }
    if (first_process_alive(record)) {
        if (timeout.count() > 0)
            log_warning("StopSignal " + record.stop_signal + " failed to stop container " + record.name + " in " +
                        std::to_string(std::chrono::duration_cast<std::chrono::seconds>(timeout).count()) +
                        " seconds, resorting to SIGKILL");
        ::kill(record.pid, SIGKILL);
    }
    wait_until_gone(record, std::chrono::seconds(30));
}

void kill_container(const std::string& graph_root, const storage::ContainerRecord& record, int signal) {
    if (!container_running(record) || !first_process_alive(record))
        throw Error("can only kill running containers. " + record.id + " is in state " +
                    storage::state_name(record.state) + ": container state improper");
    if (signal == SIGKILL || signal == SIGTERM)
        storage::ContainerStore(graph_root).update(record.id, [](storage::ContainerRecord& killed) {
            killed.stopped_by_user = true;
        });
    if (::kill(record.pid, signal) != 0) throw_last_errno("kill container " + record.id.substr(0, 12));
}

int wait_for_container(const std::string& graph_root, const std::string& id, bool until_running) {
    storage::ContainerStore store(graph_root);
    for (;;) {
        auto found = store.find(id);
        if (!found) return -1;
        auto record = reconciled(*found);
        bool running = container_running(record);
        if (until_running ? running : !running) return record.exit_code;
        std::this_thread::sleep_for(poll_interval);
    }
}

void rename_container(const std::string& graph_root, const std::string& name_or_id, const std::string& new_name) {
    storage::ContainerStore store(graph_root);
    auto lock = store.lock_exclusive();
    auto record = find_container(graph_root, name_or_id);
    store.rename(record.id, new_name);
}

}  // namespace berth::engine
