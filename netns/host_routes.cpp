#include "netns/host_routes.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::netns {
namespace {

constexpr uint32_t slirp_container_offset = 100;
constexpr uint32_t slirp_gateway_offset = 2;
constexpr uint32_t slirp_dns_offset = 3;

// /proc/net/route writes addresses as the hex of the 32-bit value in memory (network order read little-endian).
std::string route_hex_to_ipv4(std::string_view hex) {
    unsigned long value = std::stoul(std::string(hex), nullptr, 16);
    in_addr address{};
    address.s_addr = static_cast<in_addr_t>(value);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &address, text, sizeof text);
    return text;
}

std::vector<std::string> fields_of(std::string_view line) {
    std::vector<std::string> fields;
    for (auto& field : split(line, '\t')) {
        auto trimmed = trim(field);
        if (!trimmed.empty()) fields.emplace_back(trimmed);
    }
    return fields;
}

template <typename Accept>
std::string find_ipv4(Accept accept) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return {};
    std::string found;
    for (ifaddrs* entry = list; entry && found.empty(); entry = entry->ifa_next) {
        if (!entry->ifa_addr || entry->ifa_addr->sa_family != AF_INET) continue;
        if (!accept(*entry)) continue;
        char text[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(entry->ifa_addr)->sin_addr, text, sizeof text);
        found = text;
    }
    ::freeifaddrs(list);
    return found;
}

}  // namespace

std::optional<DefaultRoute> parse_default_route(std::string_view proc_net_route) {
    bool header = true;
    for (const auto& line : split(proc_net_route, '\n')) {
        if (header) {
            header = false;
            continue;
        }
        auto fields = fields_of(line);
        // Iface Destination Gateway Flags ... Mask
        if (fields.size() < 8 || fields[1] != "00000000" || fields[7] != "00000000") continue;
        return DefaultRoute{fields[0], route_hex_to_ipv4(fields[2])};
    }
    return std::nullopt;
}

std::optional<DefaultRoute> host_default_route() {
    auto text = read_file_if_exists("/proc/net/route");
    if (!text) return std::nullopt;
    return parse_default_route(*text);
}

std::string interface_ipv4(const std::string& interface) {
    return find_ipv4([&](const ifaddrs& entry) { return interface == entry.ifa_name; });
}

std::string first_host_ipv4() {
    return find_ipv4([](const ifaddrs& entry) { return (entry.ifa_flags & IFF_LOOPBACK) == 0; });
}

std::optional<uint32_t> parse_ipv4(std::string_view text) {
    in_addr address{};
    if (::inet_pton(AF_INET, std::string(text).c_str(), &address) != 1) return std::nullopt;
    return ntohl(address.s_addr);
}

std::string ipv4_text(uint32_t address) {
    in_addr value{};
    value.s_addr = htonl(address);
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &value, text, sizeof text);
    return text;
}

SlirpAddresses slirp_addresses(std::string_view cidr) {
    auto slash = cidr.find('/');
    auto base = parse_ipv4(cidr.substr(0, slash));
    auto prefix = slash == std::string_view::npos ? std::optional<unsigned long long>(24)
                                                  : parse_unsigned(cidr.substr(slash + 1));
    if (!base || !prefix || *prefix < 1 || *prefix > 25)
        throw Error("invalid slirp4netns cidr \"" + std::string(cidr) + "\": expected an IPv4 network of /25 or wider");
    uint32_t mask = *prefix == 0 ? 0 : ~uint32_t{0} << (32 - *prefix);
    uint32_t network = *base & mask;
    return {ipv4_text(network + slirp_container_offset), ipv4_text(network + slirp_gateway_offset),
            ipv4_text(network + slirp_dns_offset), static_cast<int>(*prefix)};
}

}  // namespace berth::netns
