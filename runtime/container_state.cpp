#include "runtime/container_state.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>

#include "common/error.hpp"
#include "common/files.hpp"
#include "runtime/process_identity.hpp"
#include "runtime/spec_defaults.hpp"

namespace berth::runtime {

using nlohmann::json;

const char* status_name(ContainerStatus status) {
    switch (status) {
        case ContainerStatus::creating: return "creating";
        case ContainerStatus::created: return "created";
        case ContainerStatus::running: return "running";
        case ContainerStatus::stopped: return "stopped";
    }
    return "unknown";
}

bool valid_container_id(const std::string& id) {
    if (id.empty() || id == "." || id == "..") return false;
    for (char c : id) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '+' ||
                  c == '-' || c == '.';
        if (!ok) return false;
    }
    return true;
}

std::string container_directory(const std::string& root, const std::string& id) { return root + "/" + id; }

std::string exec_fifo_path(const std::string& root, const std::string& id) {
    return container_directory(root, id) + "/exec.fifo";
}

ContainerState read_container_state(const std::string& root, const std::string& id) {
    if (!valid_container_id(id)) throw Error("invalid container ID format");
    std::string path = container_directory(root, id) + "/state.json";
    auto text = read_file_if_exists(path);
    if (!text) throw Error("container does not exist");
    auto document = json::parse(*text, nullptr, false);
    if (document.is_discarded() || !document.is_object()) throw Error(path + ": malformed state");
    ContainerState state;
    state.id = id;
    state.pid = document.value("pid", 0);
    state.start_time = document.value("start_time", std::uint64_t{0});
    state.boot_id = document.value("boot_id", "");
    state.bundle = document.value("bundle", "");
    state.rootfs = document.value("rootfs", "");
    state.created = document.value("created", "");
    state.owner = document.value("owner", "");
    state.rootless = document.value("rootless", false);
    if (document.contains("annotations") && document["annotations"].is_object())
        state.annotations = document["annotations"];
    state.cgroup_directories = document.value("cgroup_directories", std::vector<std::string>{});
    state.cgroups_created = document.value("cgroups_created", std::vector<std::string>{});
    if (document.contains("hooks") && document["hooks"].is_object()) state.hooks = document["hooks"];
    return state;
}

void write_container_state(const std::string& root, const ContainerState& state) {
    json document = {{"id", state.id},
                     {"pid", state.pid},
                     {"start_time", state.start_time},
                     {"boot_id", state.boot_id},
                     {"bundle", state.bundle},
                     {"rootfs", state.rootfs},
                     {"created", state.created},
                     {"owner", state.owner},
                     {"rootless", state.rootless},
                     {"annotations", state.annotations},
                     {"cgroup_directories", state.cgroup_directories},
                     {"cgroups_created", state.cgroups_created},
                     {"hooks", state.hooks}};
    write_file_atomic(container_directory(root, state.id) + "/state.json", document.dump(), 0600, Durability::atomic);
}

ContainerStatus current_status(const std::string& root, const ContainerState& state) {
    if (!same_process_alive(state.pid, state.start_time, state.boot_id)) return ContainerStatus::stopped;
    if (path_exists(exec_fifo_path(root, state.id))) return ContainerStatus::created;
    return ContainerStatus::running;
}

json state_document(const ContainerState& state, ContainerStatus status) {
    json document = {{"ociVersion", oci_version},
                     {"id", state.id},
                     {"pid", status == ContainerStatus::stopped ? 0 : state.pid},
                     {"status", status_name(status)},
                     {"bundle", state.bundle},
                     {"rootfs", state.rootfs},
                     {"created", state.created},
                     {"owner", state.owner}};
    if (!state.annotations.empty()) document["annotations"] = state.annotations;
    return document;
}

std::vector<std::string> container_ids(const std::string& root) {
    std::vector<std::string> ids;
    for (const auto& name : list_directory(root))
        if (valid_container_id(name) && path_exists(container_directory(root, name) + "/state.json"))
            ids.push_back(name);
    return ids;
}

std::string rfc3339_now() {
    auto now = std::chrono::system_clock::now().time_since_epoch();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
    auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds).count();
    std::time_t time = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    ::gmtime_r(&time, &utc);
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    std::string out = text;
    if (nanoseconds != 0) {
        char fraction[16];
        std::snprintf(fraction, sizeof fraction, ".%09lld", static_cast<long long>(nanoseconds));
        std::string digits = fraction;
        while (digits.back() == '0') digits.pop_back();
        out += digits;
    }
    return out + "Z";
}

}  // namespace berth::runtime
