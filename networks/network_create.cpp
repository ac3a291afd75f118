#include "networks/network_create.hpp"

#include <algorithm>
#include <fstream>
#include <random>
#include <sstream>

#include "common/error.hpp"
#include "common/files.hpp"
#include "storage/container_store.hpp"

namespace berth::networks {
namespace {

constexpr const char* bridge_options[] = {"mtu", "vlan", "isolate", "metric"};

std::vector<IpSubnet> used_subnets(const std::vector<Network>& existing, const HostNetworks& host) {
    std::vector<IpSubnet> used = host.routes;
    for (const auto& network : existing)
        for (const auto& subnet : network.subnets)
            if (auto parsed = parse_subnet(subnet.subnet)) used.push_back(*parsed);
    return used;
}

bool is_free(const IpSubnet& subnet, const std::vector<IpSubnet>& used) {
    return std::none_of(used.begin(), used.end(),
                        [&](const IpSubnet& other) { return subnets_overlap(subnet, other); });
}

// Podman's pool: 10.89.0.0/24 onwards, /24 by /24, up to 10.255.255.0/24.
IpSubnet free_ipv4_subnet(const std::vector<IpSubnet>& used) {
    for (unsigned second = 89; second <= 255; ++second)
        for (unsigned third = 0; third <= 255; ++third) {
            auto subnet = *parse_subnet("10." + std::to_string(second) + "." + std::to_string(third) + ".0/24");
            if (is_free(subnet, used)) return subnet;
        }
    throw Error("could not find free subnet from subnet pools");
}

// A random unique local /64 (fdXX:XXXX:XXXX:XXXX::/64), as Podman picks one.
IpSubnet free_ipv6_subnet(const std::vector<IpSubnet>& used) {
    std::random_device random;
    for (int attempt = 0; attempt < 100; ++attempt) {
        IpSubnet subnet;
        subnet.address.v6 = true;
        subnet.prefix = 64;
        subnet.address.bytes[0] = 0xfd;
        for (size_t index = 1; index < 8; ++index) subnet.address.bytes[index] = static_cast<uint8_t>(random());
        if (is_free(subnet, used)) return subnet;
    }
    throw Error("could not find free ipv6 subnet");
}

std::string free_interface(const std::vector<Network>& existing, const HostNetworks& host, bool for_name) {
    for (unsigned number = 1;; ++number) {
        std::string name = "podman" + std::to_string(number);
        bool taken = std::find(host.interfaces.begin(), host.interfaces.end(), name) != host.interfaces.end() ||
                     std::any_of(existing.begin(), existing.end(), [&](const Network& network) {
                         return network.network_interface == name || (for_name && network.name == name);
                     });
        if (!taken) return name;
    }
}

void check_driver(const CreateRequest& request) {
    if (request.driver == "macvlan" || request.driver == "ipvlan") {
        if (request.subnets.empty())
            throw Error(request.driver +
                        " driver needs at least one subnet specified, DHCP is not yet supported with netavark");
        throw Error("unsupported driver " + request.driver + " here: berth makes bridge networks only");
    }
    if (request.driver != "bridge") throw Error("unsupported driver " + request.driver + ": invalid argument");
    for (const auto& [key, value] : request.options)
        if (std::find(std::begin(bridge_options), std::end(bridge_options), key) == std::end(bridge_options))
            throw Error("unsupported bridge network option " + key);
}

NetworkSubnet given_subnet(const CreateRequest& request, size_t index, const std::vector<IpSubnet>& used) {
    auto subnet = parse_subnet(request.subnets[index]);
    if (!subnet) throw Error("invalid subnet \"" + request.subnets[index] + "\": invalid CIDR address");
    if (!is_free(*subnet, used))
        throw Error("subnet " + subnet_text(*subnet) + " is already used on the host or by another config");
    NetworkSubnet result{subnet_text(*subnet), "", "", ""};
    if (index < request.gateways.size()) {
        auto gateway = parse_ip(request.gateways[index]);
        if (!gateway) throw Error("invalid gateway \"" + request.gateways[index] + "\"");
        if (!subnet_contains(*subnet, *gateway))
            throw Error("gateway " + ip_text(*gateway) + " not in subnet " + result.subnet);
        result.gateway = ip_text(*gateway);
    } else if (!request.internal) {
        result.gateway = ip_text(address_at(*subnet, 1));
    }
    if (index < request.ip_ranges.size()) {
        auto range = parse_subnet(request.ip_ranges[index]);
        if (!range) throw Error("invalid ip range \"" + request.ip_ranges[index] + "\": invalid CIDR address");
        if (!subnet_contains(*subnet, range->address) || range->prefix < subnet->prefix)
            throw Error("subnet " + result.subnet + " does not contain range " + subnet_text(*range));
        result.lease_start = ip_text(address_at(*range, 1));
        result.lease_end = ip_text(last_address(*range));
    }
    return result;
}

void add_subnets(Network& network, const CreateRequest& request, const std::vector<IpSubnet>& used_before) {
    auto used = used_before;
    for (size_t index = 0; index < request.subnets.size(); ++index) {
        auto subnet = given_subnet(request, index, used);
        used.push_back(*parse_subnet(subnet.subnet));
        network.subnets.push_back(subnet);
    }
    auto has_family = [&](bool v6) {
        return std::any_of(network.subnets.begin(), network.subnets.end(),
                           [&](const NetworkSubnet& subnet) { return parse_subnet(subnet.subnet)->address.v6 == v6; });
    };
    if (has_family(true)) network.ipv6_enabled = true;
    if (request.subnets.empty()) {
        auto subnet = free_ipv4_subnet(used);
        used.push_back(subnet);
        network.subnets.push_back(
            {subnet_text(subnet), request.internal ? "" : ip_text(address_at(subnet, 1)), "", ""});
    }
    if (network.ipv6_enabled && !has_family(true)) {
        auto subnet = free_ipv6_subnet(used);
        network.subnets.push_back(
            {subnet_text(subnet), request.internal ? "" : ip_text(address_at(subnet, 1)), "", ""});
    }
}

std::vector<IpSubnet> parse_routes(const std::string& path, bool v6) {
    std::vector<IpSubnet> routes;
    std::ifstream file(path);
    std::string line;
    if (!v6) std::getline(file, line);  // the heading
    while (std::getline(file, line)) {
        std::istringstream fields(line);
        std::string interface, destination, gateway, flags, refcnt, use, metric, mask;
        if (v6) {
            std::string prefix_hex;
            fields >> destination >> prefix_hex;
            if (destination.size() != 32) continue;
            IpSubnet subnet;
            subnet.address.v6 = true;
            for (size_t index = 0; index < 16; ++index)
                subnet.address.bytes[index] =
                    static_cast<uint8_t>(std::stoul(destination.substr(index * 2, 2), nullptr, 16));
            subnet.prefix = static_cast<unsigned>(std::stoul(prefix_hex, nullptr, 16));
            // Link-local, multicast and the default route are everywhere.
            if (subnet.prefix == 0 || subnet.address.bytes[0] == 0xfe || subnet.address.bytes[0] == 0xff) continue;
            routes.push_back(subnet);
            continue;
        }
        fields >> interface >> destination >> gateway >> flags >> refcnt >> use >> metric >> mask;
        if (mask.size() != 8 || destination.size() != 8) continue;
        uint32_t address = static_cast<uint32_t>(std::stoul(destination, nullptr, 16));
        uint32_t netmask = static_cast<uint32_t>(std::stoul(mask, nullptr, 16));
        if (netmask == 0) continue;
        IpSubnet subnet;
        for (size_t index = 0; index < 4; ++index)
            subnet.address.bytes[index] = static_cast<uint8_t>(address >> (8 * index));
        subnet.prefix = static_cast<unsigned>(__builtin_popcount(netmask));
        routes.push_back(subnet);
    }
    return routes;
}

}  // namespace

HostNetworks read_host_networks() {
    HostNetworks host;
    host.routes = parse_routes("/proc/net/route", false);
    auto v6 = parse_routes("/proc/net/ipv6_route", true);
    host.routes.insert(host.routes.end(), v6.begin(), v6.end());
    try {
        host.interfaces = list_directory("/sys/class/net");
    } catch (const Error&) {
    }
    return host;
}

// --interface-name: a valid Linux interface name no other network uses (Podman's checks and words).
std::string checked_interface_name(const std::string& name, const std::vector<Network>& existing) {
    if (name.size() > 15 || !valid_network_name(name))
        throw Error("bridge name " + name + " invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
    for (const auto& other : existing)
        if (other.network_interface == name) throw Error("bridge name " + name + " already in use");
    return name;
}

Network make_network(const CreateRequest& request, const std::vector<Network>& existing, const HostNetworks& host) {
    Network network;
    network.name = request.name.empty() ? free_interface(existing, host, true) : request.name;
    if (!valid_network_name(network.name))
        throw Error("network name " + network.name +
                    " invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
    for (const auto& other : existing)
        if (other.name == network.name)
            throw Error("network name " + network.name + " already used: network already exists");
    check_driver(request);
    if (request.subnets.empty() && (!request.gateways.empty() || !request.ip_ranges.empty()))
        throw Error("cannot set gateway or range without subnet");
    if (request.gateways.size() > request.subnets.size()) throw Error("cannot set more gateways than subnets");
    if (request.ip_ranges.size() > request.subnets.size()) throw Error("cannot set more ranges than subnets");
    network.driver = request.driver;
    network.ipv6_enabled = request.ipv6;
    network.internal = request.internal;
    network.dns_enabled = !request.disable_dns;
    network.labels = request.labels;
    network.options = request.options;
    add_subnets(network, request, used_subnets(existing, host));
    network.network_interface = request.interface_name.empty()
                                    ? free_interface(existing, host, false)
                                    : checked_interface_name(request.interface_name, existing);
    do {
        network.id = storage::new_container_id();
    } while (
        std::any_of(existing.begin(), existing.end(), [&](const Network& other) { return other.id == network.id; }));
    network.created = created_now();
    return network;
}

}  // namespace berth::networks
