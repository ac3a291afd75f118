// `network create`: a new definition from Podman's flags, checked as Podman checks them, with a free subnet
// (10.89.0.0/24, 10.89.1.0/24, ... as Podman allocates them), a free interface (podman1, podman2, ...) and a
// random ULA /64 when IPv6 is asked for without a subnet.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "networks/ip_network.hpp"
#include "networks/network_record.hpp"

namespace berth::networks {

struct CreateRequest {
    std::string name;            // "" takes the first free podmanN
    std::string interface_name;  // --interface-name: the bridge; "" takes the first free podmanN
    std::string driver = "bridge";
    std::vector<std::string> subnets, gateways, ip_ranges;
    bool internal = false;
    bool disable_dns = false;
    bool ipv6 = false;
    std::map<std::string, std::string> labels, options;
};

// What a new network must not collide with: the other networks, and the host's routes and interfaces.
struct HostNetworks {
    std::vector<IpSubnet> routes;
    std::vector<std::string> interfaces;
};

// The host's IPv4 and IPv6 routes (not the default ones) and its interface names.
HostNetworks read_host_networks();

// The new network (id and created set); Error in Podman's words when a flag is wrong or a subnet is taken.
Network make_network(const CreateRequest& request, const std::vector<Network>& existing, const HostNetworks& host);

}  // namespace berth::networks
