// A network definition in Podman 4's own format, the netavark JSON of <graph root>/networks/<name>.json that
// `podman network inspect` prints, so that Podman and berth read each other's networks; and the default network
// "podman", which is never stored (as in Podman).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::networks {

struct NetworkSubnet {
    std::string subnet;       // "10.89.0.0/24"
    std::string gateway;      // "" on internal networks
    std::string lease_start;  // lease_range.start_ip, "" without a range
    std::string lease_end;
    friend bool operator==(const NetworkSubnet&, const NetworkSubnet&) = default;
};

struct Network {
    std::string name;
    std::string id;  // 64 hex digits
    std::string driver = "bridge";
    std::string network_interface;  // "podman1"
    std::string created;            // RFC 3339 with nanoseconds, "2026-12-06T21:12:50.98001042Z"
    std::vector<NetworkSubnet> subnets;
    bool ipv6_enabled = false;
    bool internal = false;
    bool dns_enabled = true;
    std::map<std::string, std::string> labels;
    std::map<std::string, std::string> options;
    std::string ipam_driver = "host-local";
    friend bool operator==(const Network&, const Network&) = default;
};

inline constexpr const char* default_network_name = "podman";

// The document in Podman's order of keys (empty labels, options, gateways and lease ranges left out).
nlohmann::ordered_json network_to_json(const Network& network);

// Reads a definition; Error naming `source` when it is not one.
Network network_from_json(const nlohmann::json& document, const std::string& source);

// The default network as Podman names it, "podman" (Podman's id, 10.88.0.0/16 with gateway 10.88.0.1, no DNS, created
// now), on the bridge berth's default network really uses, berth0 (netns/cni_bridge).
Network default_network();

// Podman's rule for network names: [a-zA-Z0-9][a-zA-Z0-9_.-]*.
bool valid_network_name(const std::string& name);

// The time now as a network's created field.
std::string created_now();

}  // namespace berth::networks
