#include "networks/netavark.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "netns/cni_bridge.hpp"
#include "netns/helper_process.hpp"
#include "networks/ip_leases.hpp"
#include "networks/network_status.hpp"
#include "storage/container_store.hpp"

namespace berth::networks {
namespace {

std::string find_program(const std::string& name, const std::string& package) {
    for (const char* directory : {"/usr/lib/podman", "/usr/libexec/podman", "/usr/local/libexec/podman"}) {
        std::string candidate = std::string(directory) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    if (auto found = find_in_path(name)) return *found;
    throw Error("could not find " + name + ", needed for user-defined networks: install " + package);
}

// netavark prints its result (or {"error": ...}) as JSON on stdout; its log lines may come before it.
nlohmann::json parse_output(const std::string& output) {
    for (size_t start = output.find('{'); start != std::string::npos; start = output.find('{', start + 1)) {
        auto parsed = nlohmann::json::parse(output.substr(start), nullptr, false);
        if (!parsed.is_discarded()) return parsed;
    }
    return nullptr;
}

nlohmann::json run_netavark(const std::string& command, const NetavarkRequest& request, const std::string& netns,
                            const NetavarkPaths& paths) {
    std::string output_path = paths.config_dir + "/" + request.container_id.substr(0, 12) + "-netavark.out";
    ::unlink(output_path.c_str());
    netns::HelperCommand helper;
    helper.argv = {netavark_binary(), "--config", paths.config_dir, "--aardvark-binary", aardvark_binary(),
                   command,           netns};
    helper.input = netavark_options(request).dump();
    helper.log_path = output_path;
    netns::HelperProcess process(helper);
    int status = process.wait();
    std::string output = read_file_if_exists(output_path).value_or("");
    ::unlink(output_path.c_str());
    auto parsed = parse_output(output);
    bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (failed || (parsed.is_object() && parsed.contains("error"))) {
        std::string message =
            parsed.is_object() && parsed.contains("error") ? parsed["error"].dump() : std::string(trim(output));
        if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_string())
            message = parsed["error"].get<std::string>();
        if (message.empty()) message = netns::wait_status_text(status);
        throw Error("netavark " + command + " for network " + request.network.name + ": " + message);
    }
    return parsed;
}

}  // namespace

NetworkEndpoint parse_endpoint(const std::string& text) {
    NetworkEndpoint endpoint;
    auto colon = text.find(':');
    endpoint.network = text.substr(0, colon);
    if (colon == std::string::npos) return endpoint;
    for (const auto& option : split(text.substr(colon + 1), ',')) {
        auto equals = option.find('=');
        std::string key = option.substr(0, equals);
        std::string value = equals == std::string::npos ? "" : option.substr(equals + 1);
        if (key == "ip")
            endpoint.static_ip = value;
        else if (key == "mac")
            endpoint.static_mac = value;
        else if (key == "alias")
            endpoint.aliases.push_back(value);
        else if (key == "interface_name")
            endpoint.interface_name = value;
        else
            throw Error("unknown bridge network option: " + key);
    }
    return endpoint;
}

std::string endpoint_text(const NetworkEndpoint& endpoint) {
    std::vector<std::string> options;
    if (!endpoint.static_ip.empty()) options.push_back("ip=" + endpoint.static_ip);
    if (!endpoint.static_mac.empty()) options.push_back("mac=" + endpoint.static_mac);
    for (const auto& alias : endpoint.aliases) options.push_back("alias=" + alias);
    if (endpoint.interface_name != "eth0") options.push_back("interface_name=" + endpoint.interface_name);
    std::string text = endpoint.network;
    for (size_t index = 0; index < options.size(); ++index) text += (index == 0 ? ":" : ",") + options[index];
    return text;
}

nlohmann::json netavark_options(const NetavarkRequest& request) {
    auto aliases = nlohmann::json::array({request.container_id.substr(0, 12)});
    for (const auto& alias : request.endpoint.aliases) aliases.push_back(alias);
    nlohmann::json ports = nlohmann::json::array();
    for (const auto& port : request.ports)
        ports.push_back({{"host_ip", port.host_ip},
                         {"container_port", port.container_port},
                         {"host_port", port.host_port},
                         {"range", port.range},
                         {"protocol", port.protocol}});
    const std::string& name = request.network.name;
    nlohmann::json endpoint = {
        {"static_ips", request.addresses}, {"aliases", aliases}, {"interface_name", request.endpoint.interface_name}};
    if (!request.endpoint.static_mac.empty()) endpoint["static_mac"] = request.endpoint.static_mac;
    return {{"container_id", request.container_id},
            {"container_name", request.container_name},
            {"port_mappings", ports},
            {"networks", {{name, endpoint}}},
            {"network_info", {{name, network_to_json(request.network)}}}};
}

std::string setup_result_ipv4(const nlohmann::json& result) {
    if (!result.is_object()) return {};
    for (const auto& [network, status] : result.items()) {
        if (!status.is_object() || !status.contains("interfaces") || !status["interfaces"].is_object()) continue;
        for (const auto& [name, interface] : status["interfaces"].items()) {
            if (!interface.contains("subnets") || !interface["subnets"].is_array()) continue;
            for (const auto& subnet : interface["subnets"]) {
                std::string address = subnet.value("ipnet", "");
                if (!address.empty() && address.find(':') == std::string::npos)
                    return address.substr(0, address.find('/'));
            }
        }
    }
    return {};
}

std::string bind_path(const NetavarkPaths& paths, const std::string& container_id, const std::string& network) {
    return paths.netns_dir() + "/" + container_id + "." + network;
}

void tear_down_leftover(const Network& network, const std::string& container_id, const NetavarkPaths& paths,
                        const std::string& interface_name) noexcept {
    std::string netns_path = bind_path(paths, container_id, network.name);
    if (path_exists(netns_path)) {
        NetavarkRequest leftover;
        leftover.container_id = container_id;
        leftover.endpoint.network = network.name;
        leftover.endpoint.interface_name = interface_name;
        leftover.network = network;
        try {
            run_netavark("teardown", leftover, netns_path, paths);
        } catch (const std::exception& error) {
            log_warning(std::string("network teardown: ") + error.what());
        }
        netns::unbind_network_namespace(netns_path);
    }
    IpLeases(paths.leases_dir()).release(network, container_id);
    forget_network_status(paths.graph_root, container_id, network.name);
}

void reconcile_network(const Network& network, const NetavarkPaths& paths) noexcept {
    IpLeases leases(paths.leases_dir());
    storage::ContainerStore containers(paths.graph_root);
    for (const auto& holder : leases.holders(network)) {
        if (path_exists(containers.paths_of(holder).directory)) continue;
        tear_down_leftover(network, holder, paths);
    }
}

std::string netavark_binary() { return find_program("netavark", "netavark"); }
std::string aardvark_binary() { return find_program("aardvark-dns", "aardvark-dns"); }

NetavarkAttachment::NetavarkAttachment(NetavarkRequest request, pid_t pid, NetavarkPaths paths)
    : request_(std::move(request)), paths_(std::move(paths)) {
    make_directories(paths_.config_dir, 0700);
    try {
        IpLeases leases(paths_.leases_dir(), [this](const std::string& id) {
            if (path_exists(storage::ContainerStore(paths_.graph_root).paths_of(id).directory)) return true;
            // Not tear_down_leftover(): the lease itself is taken over, not given back.
            std::string leftover = bind_path(paths_, id, request_.network.name);
            if (path_exists(leftover)) {
                NetavarkRequest stale;
                stale.container_id = id;
                stale.endpoint.network = request_.network.name;
                stale.network = request_.network;
                try {
                    run_netavark("teardown", stale, leftover, paths_);
                } catch (const std::exception& error) {
                    log_warning(std::string("network teardown of a removed container: ") + error.what());
                }
                netns::unbind_network_namespace(leftover);
            }
            return false;
        });
        for (const auto& subnet : request_.network.subnets) {
            bool v6 = subnet.subnet.find(':') != std::string::npos;
            bool wanted_here = !request_.endpoint.static_ip.empty() &&
                               (request_.endpoint.static_ip.find(':') != std::string::npos) == v6;
            request_.addresses.push_back(leases.lease(request_.network, subnet, request_.container_id,
                                                      wanted_here ? request_.endpoint.static_ip : ""));
        }
        netns_path_ =
            netns::bind_network_namespace(pid, paths_.netns_dir(), request_.container_id + "." + request_.network.name);
        auto result = run_netavark("setup", request_, netns_path_, paths_);
        set_up_ = true;
        address_ = setup_result_ipv4(result);
        auto aliases = request_.endpoint.aliases;
        aliases.insert(aliases.begin(), request_.container_id.substr(0, 12));
        record_network_status(paths_.graph_root, request_.container_id, request_.network.name,
                              status_entry(result, request_.network.name, aliases));
    } catch (...) {
        remove();
        throw;
    }
}

NetavarkAttachment::~NetavarkAttachment() { remove(); }

void NetavarkAttachment::keep() noexcept {
    set_up_ = false;
    netns_path_.clear();
    kept_ = true;
}

void NetavarkAttachment::remove() noexcept {
    if (kept_) return;
    // network disconnect may have torn it down already.
    if (set_up_ && path_exists(netns_path_)) {
        try {
            run_netavark("teardown", request_, netns_path_, paths_);
        } catch (const std::exception& error) {
            log_warning(std::string("network teardown: ") + error.what());
        }
        set_up_ = false;
    }
    netns::unbind_network_namespace(netns_path_);
    netns_path_.clear();
    IpLeases(paths_.leases_dir()).release(request_.network, request_.container_id);
    forget_network_status(paths_.graph_root, request_.container_id, request_.network.name);
}

}  // namespace berth::networks
