#include "networks/ip_network.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace berth::networks {
namespace {

void clear_host_bits(IpAddress& address, unsigned prefix) {
    for (size_t index = 0; index < address.size(); ++index) {
        unsigned bit = static_cast<unsigned>(index) * 8;
        if (bit >= prefix)
            address.bytes[index] = 0;
        else if (prefix - bit < 8)
            address.bytes[index] &= static_cast<uint8_t>(0xff << (8 - (prefix - bit)));
    }
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
    std::string copy(text);
    IpAddress address;
    if (::inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) return address;
    address.v6 = true;
    if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) return address;
    return std::nullopt;
}

std::string ip_text(const IpAddress& address) {
    char text[INET6_ADDRSTRLEN] = {};
    ::inet_ntop(address.v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof text);
    return text;
}

std::optional<IpSubnet> parse_subnet(std::string_view text) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    auto address = parse_ip(text.substr(0, slash));
    std::string_view digits = text.substr(slash + 1);
    if (!address || digits.empty() || digits.size() > 3) return std::nullopt;
    unsigned prefix = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        prefix = prefix * 10 + static_cast<unsigned>(c - '0');
    }
    if (prefix > address->size() * 8) return std::nullopt;
    clear_host_bits(*address, prefix);
    return IpSubnet{*address, prefix};
}

std::string subnet_text(const IpSubnet& subnet) {
    return ip_text(subnet.address) + "/" + std::to_string(subnet.prefix);
}

bool subnet_contains(const IpSubnet& subnet, const IpAddress& address) {
    if (subnet.address.v6 != address.v6) return false;
    IpAddress masked = address;
    clear_host_bits(masked, subnet.prefix);
    return masked == subnet.address;
}

bool subnets_overlap(const IpSubnet& a, const IpSubnet& b) {
    if (a.address.v6 != b.address.v6) return false;
    return a.prefix <= b.prefix ? subnet_contains(a, b.address) : subnet_contains(b, a.address);
}

IpAddress address_at(const IpSubnet& subnet, uint64_t offset) {
    IpAddress address = subnet.address;
    for (size_t index = address.size(); index-- > 0 && offset != 0;) {
        uint64_t sum = address.bytes[index] + (offset & 0xff);
        address.bytes[index] = static_cast<uint8_t>(sum);
        offset = (offset >> 8) + (sum >> 8);
    }
    return address;
}

IpAddress last_address(const IpSubnet& subnet) {
    IpAddress address = subnet.address;
    for (size_t index = 0; index < address.size(); ++index) {
        unsigned bit = static_cast<unsigned>(index) * 8;
        if (bit >= subnet.prefix)
            address.bytes[index] = 0xff;
        else if (subnet.prefix - bit < 8)
            address.bytes[index] |= static_cast<uint8_t>(0xff >> (subnet.prefix - bit));
    }
    return address;
}

}  // namespace berth::networks
