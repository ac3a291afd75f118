#include "engine/container_network.hpp"

#include <regex>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "netns/cni_bridge.hpp"
#include "netns/host_routes.hpp"
#include "netns/network_helpers.hpp"
#include "networks/connections.hpp"
#include "networks/network_store.hpp"

namespace berth::engine {
namespace {

constexpr const char* slirp_default_cidr = "10.0.2.0/24";

std::string default_helper_name() {
    auto helper = netns::default_network_helper(netns::find_network_helpers());
    return helper ? helper->name : std::string();
}

// Podman's host.containers.internal without another way to the host: the host's first non-loopback address.
std::string host_address() { return netns::first_host_ipv4(); }

void add_slirp_addresses(const netns::NetworkMode& mode, EtcNetwork& network) {
    std::string cidr = netns::option_value(mode, "cidr");
    auto addresses = netns::slirp_addresses(cidr.empty() ? slirp_default_cidr : cidr);
    network.container_ip = addresses.container;
    network.mode_nameservers = {addresses.dns};
    // With the host's loopback reachable (berth's default) 10.0.2.2 is the host itself, else Podman's choice.
    network.host_gateway =
        netns::option_value(mode, "allow_host_loopback") == "false" ? host_address() : addresses.gateway;
}

void add_pasta_addresses(EtcNetwork& network) {
    // pasta copies the host's address and routes; the gateway's address is mapped to the host.
    auto route = netns::host_default_route();
    if (!route) return;
    network.container_ip = netns::interface_ipv4(route->interface);
    network.host_gateway = route->gateway;
}

// A user-defined network's gateway reaches the host, and answers DNS (aardvark-dns) when the network has it.
void add_user_network_addresses(const netns::NetworkMode& mode, const std::string& graph_root, EtcNetwork& etc) {
    auto network = networks::NetworkStore(graph_root).get(mode.bridge_name);
    for (const auto& subnet : network.subnets) {
        if (subnet.gateway.empty() || subnet.gateway.find(':') != std::string::npos) continue;
        etc.host_gateway = subnet.gateway;
        if (network.dns_enabled) etc.mode_nameservers = {subnet.gateway};
        break;
    }
}

}  // namespace

// --network a,b (podman-compose's form for several networks): plain names, the first the container's own.
std::vector<std::string> network_list(const std::string& value) {
    auto comma = value.find(',');
    if (comma == std::string::npos || comma > value.find(':')) return {value};
    return split(value, ',');
}

netns::NetworkMode resolve_network_mode(const RunOptions& options, bool rootless, const std::string& graph_root) {
    auto list = network_list(options.network);
    for (size_t index = 1; index < list.size(); ++index) {
        auto extra = netns::parse_network(list[index], rootless, "");
        if (!netns::is_user_network(extra) || !networks::NetworkStore(graph_root).find(extra.bridge_name))
            throw Error("unable to find network with name or ID " + list[index] + ": network not found");
    }
    auto mode = netns::parse_network(list.front(), rootless, default_helper_name());
    bool extras = !options.ip.empty() || !options.mac_address.empty() || !options.network_aliases.empty();
    if (!netns::is_user_network(mode)) {
        if (extras && mode.kind != netns::NetworkKind::bridge)
            throw Error("--ip, --mac-address and --network-alias can only be used with bridge networks");
        if (extras) throw Error("--ip, --mac-address and --network-alias need a user-defined network (network create)");
        return mode;
    }
    auto found = networks::NetworkStore(graph_root).find(mode.bridge_name);
    // Podman's message; as every failure of create, status 125.
    if (!found) throw Error("unable to find network with name or ID " + mode.bridge_name + ": network not found");
    const auto& network = *found;
    auto endpoint = networks::parse_endpoint(netns::network_text(mode));
    endpoint.network = network.name;
    if (!options.ip.empty()) endpoint.static_ip = options.ip;
    if (!options.mac_address.empty()) {
        if (!std::regex_match(options.mac_address, std::regex("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}")))
            throw Error("invalid MAC address " + options.mac_address);
        endpoint.static_mac = options.mac_address;
    }
    for (const auto& alias : options.network_aliases) endpoint.aliases.push_back(alias);
    return netns::parse_network(networks::endpoint_text(endpoint), rootless, "");
}

std::vector<netns::PortMapping> published_ports(const RunOptions& options, const nlohmann::json& image_config,
                                                const netns::NetworkMode& mode) {
    auto ports = options.ports;
    if (options.publish_all) netns::merge_publish_all(ports, netns::exposed_port_mappings(image_config));
    if (ports.empty()) return ports;
    if (!netns::has_outside_network(mode)) {
        log_warning(
            "Port mappings have been discarded as one of the Host, Container, Pod, and None network modes "
            "are in use");
        return {};
    }
    netns::assign_random_host_ports(ports);
    return ports;
}

void connect_more_networks(const RunOptions& options, const std::string& graph_root, const std::string& id) {
    auto list = network_list(options.network);
    if (list.size() < 2) return;
    std::vector<std::string> endpoints;
    for (size_t index = 1; index < list.size(); ++index) {
        networks::NetworkEndpoint endpoint;
        endpoint.network = list[index];
        endpoint.aliases = options.network_aliases;
        endpoint.interface_name = "eth" + std::to_string(index);
        endpoints.push_back(networks::endpoint_text(endpoint));
    }
    networks::write_connections(graph_root, id, endpoints);
}

EtcNetwork etc_network(const netns::NetworkMode& mode, const RunOptions& options, const std::string& graph_root) {
    EtcNetwork network;
    network.add_hosts = options.add_hosts;
    network.dns = options.dns;
    network.dns_search = options.dns_search;
    network.dns_option = options.dns_option;
    switch (mode.kind) {
        case netns::NetworkKind::slirp4netns: add_slirp_addresses(mode, network); break;
        case netns::NetworkKind::pasta: add_pasta_addresses(network); break;
        case netns::NetworkKind::bridge:
            network.host_gateway = netns::default_bridge_gateway;
            if (netns::is_user_network(mode)) add_user_network_addresses(mode, graph_root, network);
            break;
        case netns::NetworkKind::host: network.host_network = true; break;
        case netns::NetworkKind::none: break;
    }
    return network;
}

std::vector<storage::PublishedPort> to_records(const std::vector<netns::PortMapping>& ports) {
    std::vector<storage::PublishedPort> records;
    for (const auto& port : ports)
        records.push_back({port.host_ip, port.container_port, port.host_port, port.range, port.protocol});
    return records;
}

std::vector<netns::PortMapping> from_records(const std::vector<storage::PublishedPort>& ports) {
    std::vector<netns::PortMapping> mappings;
    for (const auto& port : ports)
        mappings.push_back({port.host_ip, port.container_port, port.host_port, port.range, port.protocol});
    return mappings;
}

std::vector<netns::PortMapping> parse_publish_flag(const std::string& value) { return netns::parse_publish(value); }

std::string ports_column(const storage::ContainerRecord& record) {
    return netns::format_ports(from_records(record.ports));
}

nlohmann::json ports_json(const storage::ContainerRecord& record) {
    if (record.ports.empty()) return nullptr;
    return netns::ports_to_json(from_records(record.ports));
}

std::vector<std::string> port_lines(const storage::ContainerRecord& record) {
    return netns::port_lines(from_records(record.ports));
}

std::vector<std::string> port_host_addresses(const storage::ContainerRecord& record, const std::string& private_port) {
    return netns::host_addresses_of(from_records(record.ports), private_port);
}

ContainerNetwork::ContainerNetwork(const storage::ContainerRecord& record, const std::string& graph_root,
                                   const std::string& run_root, const std::string& userdata)
    : graph_root_(graph_root), run_root_(run_root), userdata_(userdata), name_(record.name) {
    // Records from before networks existed had no mode: their containers got an empty namespace.
    request_.mode =
        record.network.empty() ? netns::NetworkMode{} : netns::parse_network(record.network, record.rootless, "");
    request_.ports = from_records(record.ports);
    request_.container_id = record.id;
    request_.state_dir = run_root + "/net";
}

void ContainerNetwork::prepare() { reserved_ = netns::prepare_network(request_); }

ContainerNetwork::~ContainerNetwork() { detach(); }

void ContainerNetwork::detach() {
    user_networks_.clear();
    attachment_.reset();
    // What `network connect` attached while the container ran.
    if (!attached_) return;
    attached_ = false;
    networks::NetavarkPaths paths{run_root_ + "/networks", graph_root_};
    try {
        for (const auto& text : networks::read_connections(graph_root_, request_.container_id)) {
            auto endpoint = networks::parse_endpoint(text);
            auto network = networks::NetworkStore(graph_root_).find(endpoint.network);
            if (network) networks::tear_down_leftover(*network, request_.container_id, paths, endpoint.interface_name);
        }
    } catch (const std::exception& error) {
        log_warning(std::string("network teardown: ") + error.what());
    }
}

void ContainerNetwork::attach_user_network(const std::string& endpoint_text, pid_t pid) {
    networks::NetavarkRequest request;
    request.container_id = request_.container_id;
    request.container_name = name_;
    request.endpoint = networks::parse_endpoint(endpoint_text);
    request.network = networks::NetworkStore(graph_root_).get(request.endpoint.network);
    if (user_networks_.empty()) request.ports = request_.ports;
    user_networks_.push_back(std::make_unique<networks::NetavarkAttachment>(
        std::move(request), pid, networks::NetavarkPaths{run_root_ + "/networks", graph_root_}));
}

void ContainerNetwork::attach(pid_t pid) {
    attached_ = true;
    if (netns::is_user_network(request_.mode))
        attach_user_network(netns::network_text(request_.mode), pid);
    else
        attachment_ = std::make_unique<netns::NetworkAttachment>(request_, pid, std::move(reserved_));
    for (const auto& text : networks::read_connections(graph_root_, request_.container_id))
        attach_user_network(text, pid);
    std::string address = attachment_ ? attachment_->bridge_address() : std::string();
    if (address.empty() && !user_networks_.empty()) address = user_networks_.front()->address();
    if (!address.empty()) {
        auto hostname = read_file_if_exists(userdata_ + "/hostname").value_or("");
        while (!hostname.empty() && hostname.back() == '\n') hostname.pop_back();
        update_container_hosts(userdata_, hostname, name_, address);
    }
}

}  // namespace berth::engine
