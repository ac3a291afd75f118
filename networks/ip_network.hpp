// IPv4 and IPv6 addresses and subnets (CIDR), as network definitions name them: parsing, text, containment and
// overlap, and the addresses inside a subnet (its gateway, the first and last of a lease range).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace berth::networks {

struct IpAddress {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4
    size_t size() const { return v6 ? 16 : 4; }
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct IpSubnet {
    IpAddress address;  // the network's first address (host bits cleared)
    unsigned prefix = 0;
    friend bool operator==(const IpSubnet&, const IpSubnet&) = default;
};

// "10.89.0.1", "fd00::1"; nothing for other text.
std::optional<IpAddress> parse_ip(std::string_view text);
std::string ip_text(const IpAddress& address);

// "10.89.0.0/24"; the host bits are cleared ("10.89.0.7/24" is 10.89.0.0/24). Nothing for other text.
std::optional<IpSubnet> parse_subnet(std::string_view text);
std::string subnet_text(const IpSubnet& subnet);

bool subnet_contains(const IpSubnet& subnet, const IpAddress& address);
bool subnets_overlap(const IpSubnet& a, const IpSubnet& b);

// The address `offset` after the subnet's first one (1: the usual gateway).
IpAddress address_at(const IpSubnet& subnet, uint64_t offset);
// The subnet's last address (its broadcast address for IPv4).
IpAddress last_address(const IpSubnet& subnet);

}  // namespace berth::networks
