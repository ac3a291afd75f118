#include "engine/pod_containers.hpp"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "engine/container_control.hpp"
#include "engine/monitor.hpp"
#include "pods/pod_store.hpp"

namespace berth::engine {
namespace {

constexpr const char* infra_binary_destination = "/catatonit";

// The spec's namespace types of the pod's shared ones.
const char* spec_namespace_type(const std::string& shared) { return shared == "net" ? "network" : shared.c_str(); }

bool set_namespace_path(nlohmann::json& spec, const std::string& type, const std::string& path) {
    auto& spaces = spec["linux"]["namespaces"];
    if (!spaces.is_array()) return false;
    for (auto& entry : spaces)
        if (entry.is_object() && entry.value("type", "") == type) {
            entry["path"] = path;
            return true;
        }
    return false;
}

bool has_namespace(const nlohmann::json& spec, const std::string& type) {
    auto linux_section = spec.find("linux");
    if (linux_section == spec.end() || !linux_section->contains("namespaces")) return false;
    for (const auto& entry : (*linux_section)["namespaces"])
        if (entry.is_object() && entry.value("type", "") == type) return true;
    return false;
}

// The infra's record, waiting a little for a starting one to record its pid.
storage::ContainerRecord running_infra(const std::string& graph_root, const std::string& infra_id) {
    storage::ContainerStore store(graph_root);
    auto infra = store.find(infra_id);
    for (int attempt = 0; attempt < 500 && infra && infra->pid == 0 && container_running(*infra); ++attempt) {
        ::usleep(10000);
        infra = store.find(infra_id);
    }
    if (!infra || infra->pid == 0 || !container_running(*infra))
        throw Error("the infra container " + infra_id.substr(0, 12) + " of the pod is not running");
    return *infra;
}

// The infra of a member's pod; "" for none.
std::string infra_of(const std::string& graph_root, const storage::ContainerRecord& member) {
    if (member.pod.empty()) return {};
    auto pod = pods::PodStore(graph_root).find(member.pod);
    if (!pod) throw Error("the pod " + member.pod.substr(0, 12) + " of container " + member.name + " is missing");
    return pod->infra_id == member.id ? std::string() : pod->infra_id;
}

}  // namespace

std::string infra_binary() {
    std::string path = find_init_binary();
    if (path.empty() || path.find("catatonit") == std::string::npos)
        throw Error("pod infra: catatonit is not installed (apt-get install catatonit)");
    return path;
}

std::vector<std::string> default_infra_command() { return {infra_binary_destination, "-P"}; }

RunOptions infra_run_options(const pods::PodRecord& pod, RunOptions network) {
    RunOptions options;
    options.name = pod.id.substr(0, 12) + "-infra";
    options.network = network.network;
    options.ports = std::move(network.ports);
    options.add_hosts = pod.add_hosts;
    options.dns = std::move(network.dns);
    options.dns_search = std::move(network.dns_search);
    options.dns_option = std::move(network.dns_option);
    options.hostname = pod.hostname.empty() ? pod.name : pod.hostname;
    options.pid_host = false;
    options.entrypoint = nlohmann::json(pod.infra_command).dump();
    MountSpec binary{"bind", infra_binary(), infra_binary_destination, {"ro", "rbind", "rprivate"}};
    options.mounts.push_back(binary);
    return options;
}

nlohmann::json infra_image_config(const pods::PodRecord& pod) {
    return {{"config", {{"Entrypoint", pod.infra_command}, {"StopSignal", "SIGTERM"}}}};
}

void adapt_member_options(const pods::PodRecord& pod, const storage::ContainerRecord& infra, RunOptions& options) {
    if (pod.shares("net")) {
        if (!options.ports.empty() || options.publish_all)
            throw Error(
                "invalid config provided: published or exposed ports must be defined when the pod is created: "
                "network cannot be configured when it is shared with a pod");
        if (!options.network.empty())
            throw Error(
                "invalid config provided: networks must be defined when the pod is created: network cannot "
                "be configured when it is shared with a pod");
        options.network = infra.network;
        auto hosts = pod.add_hosts;
        hosts.insert(hosts.end(), options.add_hosts.begin(), options.add_hosts.end());
        options.add_hosts = std::move(hosts);
    }
    if (pod.shares("uts")) {
        if (!options.hostname.empty())
            throw Error(
                "invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid "
                "configuration");
        options.hostname = pod.hostname.empty() ? pod.name : pod.hostname;
    }
}

void bring_up_loopback(pid_t pid) {
    if (::geteuid() != 0) return;
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    UniqueFd space(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!space.valid()) throw_last_errno("pod infra: open " + path);
    pid_t child = ::fork();
    if (child < 0) throw_last_errno("pod infra: fork");
    if (child == 0) {
        if (::setns(space.get(), CLONE_NEWNET) != 0) ::_exit(1);
        int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        ifreq request{};
        std::strncpy(request.ifr_name, "lo", IFNAMSIZ - 1);
        if (fd < 0 || ::ioctl(fd, SIOCGIFFLAGS, &request) != 0) ::_exit(1);
        request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP);
        ::_exit(::ioctl(fd, SIOCSIFFLAGS, &request) == 0 ? 0 : 1);
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("pod infra: cannot bring the loopback device up");
}

bool is_pod_infra(const std::string& graph_root, const storage::ContainerRecord& record) {
    if (record.pod.empty()) return false;
    auto pod = pods::PodStore(graph_root).find(record.pod);
    return pod && pod->infra_id == record.id;
}

void apply_pod_exit_policy(const StartRequest& request, const storage::ContainerRecord& member) {
    if (member.pod.empty() || member.restart_policy != "no") return;
    auto pod = pods::PodStore(request.graph_root).find(member.pod);
    if (!pod || pod->exit_policy != "stop" || pod->infra_id.empty() || pod->infra_id == member.id) return;
    storage::ContainerStore store(request.graph_root);
    std::optional<storage::ContainerRecord> infra;
    for (const auto& container : store.list()) {
        if (container.pod != pod->id) continue;
        if (container.id == pod->infra_id)
            infra = container;
        else if (container.id != member.id && container_running(container))
            return;
    }
    try {
        if (infra && container_running(*infra)) stop_container(request.graph_root, *infra, std::chrono::seconds(10));
    } catch (const Error& error) {
        log_warning("pod " + pod->name + ": stop the infra container (exit policy stop): " + error.what());
    }
}

void start_pod_infra(const StartRequest& request) {
    storage::ContainerStore store(request.graph_root);
    auto member = store.find(request.id);
    if (!member) return;
    std::string infra_id = infra_of(request.graph_root, *member);
    if (infra_id.empty()) return;
    auto infra = store.find(infra_id);
    if (!infra) throw Error("the infra container " + infra_id.substr(0, 12) + " of the pod is missing");
    if (container_running(*infra)) return;
    StartRequest infra_request = request;
    infra_request.id = infra->id;
    try {
        start_detached(infra_request);
    } catch (const Error&) {
        auto again = store.find(infra_id);  // another member may have started it meanwhile
        if (!again || !container_running(*again)) throw;
    }
}

bool join_pod_namespaces(const StartRequest& request, const storage::ContainerRecord& member, nlohmann::json& spec) {
    if (member.pod.empty()) return false;
    auto pod = pods::PodStore(request.graph_root).find(member.pod);
    if (!pod) throw Error("the pod " + member.pod.substr(0, 12) + " of container " + member.name + " is missing");
    if (pod->infra_id.empty() || pod->infra_id == member.id) return false;
    auto infra = running_infra(request.graph_root, pod->infra_id);
    std::string proc = "/proc/" + std::to_string(infra.pid) + "/ns/";
    auto infra_spec = nlohmann::json::parse(
        read_file(storage::ContainerStore(request.graph_root).paths_of(infra.id).spec), nullptr, false);
    if (infra_spec.is_discarded()) throw Error("the infra container's config.json is malformed");
    bool network = false;
    for (const auto& shared : pod->shared) {
        std::string type = spec_namespace_type(shared);
        if (!has_namespace(infra_spec, type)) continue;  // the infra uses the host's (--network host)
        if (!set_namespace_path(spec, type, proc + shared))
            spec["linux"]["namespaces"].push_back({{"type", type}, {"path", proc + shared}});
        if (shared == "net") network = true;
    }
    if (has_namespace(infra_spec, "user") && !set_namespace_path(spec, "user", proc + "user"))
        throw Error("container " + member.name + ": a member of a rootless pod needs a user namespace");
    if (pod->shares("uts")) spec.erase("hostname");
    return network;
}

}  // namespace berth::engine
