// What the host's own network looks like, for the addresses a container is told about: its default route and
// its IPv4 addresses.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::netns {

struct DefaultRoute {
    std::string interface;  // "eth0"
    std::string gateway;    // "192.0.2.1"
    friend bool operator==(const DefaultRoute&, const DefaultRoute&) = default;
};

// The first IPv4 default route of /proc/net/route's text.
std::optional<DefaultRoute> parse_default_route(std::string_view proc_net_route);

// The host's IPv4 default route (/proc/net/route), if it has one.
std::optional<DefaultRoute> host_default_route();

// The first IPv4 address of an interface; "" when it has none.
std::string interface_ipv4(const std::string& interface);

// The host's first IPv4 address that is not a loopback one; "" when none.
std::string first_host_ipv4();

// IPv4 text <-> number (host order). Nothing for text that is not an address.
std::optional<uint32_t> parse_ipv4(std::string_view text);
std::string ipv4_text(uint32_t address);

// The addresses of a slirp4netns network of `cidr` ("10.0.2.0/24"): the container's (.100), the gateway to the
// host (.2) and the DNS forwarder (.3). Error for a bad CIDR.
struct SlirpAddresses {
    std::string container, gateway, dns;
    int prefix = 24;
};
SlirpAddresses slirp_addresses(std::string_view cidr);

}  // namespace berth::netns
