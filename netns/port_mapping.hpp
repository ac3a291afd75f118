// Published ports: -p/--publish and -P/--publish-all as Podman parses them, the host ports checked by binding
// them, and the texts `ps` and `port` show.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/unique_fd.hpp"

namespace berth::netns {

// One -p: host ports host_port..host_port+range-1 forward to container_port..container_port+range-1. Podman's
// types.PortMapping, field for field; host_port 0 until a random one is chosen.
struct PortMapping {
    std::string host_ip;  // "" is every address
    uint16_t container_port = 0;
    uint16_t host_port = 0;
    uint16_t range = 1;
    std::string protocol = "tcp";  // "tcp" or "udp"
    friend bool operator==(const PortMapping&, const PortMapping&) = default;
};

// Parses one -p value: [[hostIP:]hostPort[-hostPortEnd]:]containerPort[-containerPortEnd][/tcp|/udp|/tcp,udp].
// "[::1]:8080:80" takes an IPv6 host address. Several protocols give several mappings. Errors in Podman's words.
std::vector<PortMapping> parse_publish(std::string_view value);

// The image config's ExposedPorts ({"80/tcp": {}, "53/udp": {}}) as mappings to random host ports (-P).
std::vector<PortMapping> exposed_port_mappings(const nlohmann::json& image_config);

// Adds -P's mappings to `ports` except those of container ports already published.
void merge_publish_all(std::vector<PortMapping>& ports, const std::vector<PortMapping>& exposed);

// Gives every mapping with host_port 0 free host ports (asked of the kernel by binding port 0; a range gets
// consecutive free ports). Throws Error when none can be found.
void assign_random_host_ports(std::vector<PortMapping>& ports);

// Binds every host port of `ports` (TCP: listening) and returns the sockets, so that nothing else takes them.
// Throws Error in Podman's words, naming the address and port, when one is in use:
// "cannot listen on the TCP port: listen tcp4 0.0.0.0:8080: bind: address already in use".
std::vector<UniqueFd> reserve_host_ports(const std::vector<PortMapping>& ports);

// `ps`'s PORTS column: "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp", ranges as "0.0.0.0:8080-8081->80-81/tcp".
std::string format_ports(const std::vector<PortMapping>& ports);

// `port`'s lines: "80/tcp -> 0.0.0.0:8080", one per port (ranges expanded).
std::vector<std::string> port_lines(const std::vector<PortMapping>& ports);

// `port CONTAINER 80[/tcp]`: the host addresses of one container port ("0.0.0.0:8080"); nothing when unpublished.
std::vector<std::string> host_addresses_of(const std::vector<PortMapping>& ports, std::string_view private_port);

// As JSON in Podman's field names (ps --format json).
nlohmann::json ports_to_json(const std::vector<PortMapping>& ports);

}  // namespace berth::netns
