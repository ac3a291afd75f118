#include "netns/port_mapping.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace berth::netns {
namespace {

constexpr int random_port_attempts = 100;

struct PortRange {
    uint16_t first = 0;
    uint16_t count = 1;
};

uint16_t parse_port_number(std::string_view what, std::string_view text) {
    auto number = parse_unsigned(text);
    if (!number) throw Error("parsing " + std::string(what) + ": invalid port number: \"" + std::string(text) + "\"");
    if (*number < 1 || *number > 65535)
        throw Error("parsing " + std::string(what) + ": port numbers must be between 1 and 65535 (inclusive), got " +
                    std::string(text));
    return static_cast<uint16_t>(*number);
}

// "80" or "80-90".
PortRange parse_port_range(std::string_view what, std::string_view text) {
    auto dash = text.find('-');
    if (dash == std::string_view::npos) return {parse_port_number(what, text), 1};
    uint16_t first = parse_port_number(what, text.substr(0, dash));
    uint16_t last = parse_port_number(what, text.substr(dash + 1));
    if (last < first)
        throw Error("parsing " + std::string(what) + ": invalid port range \"" + std::string(text) +
                    "\": the end is before the start");
    return {first, static_cast<uint16_t>(last - first + 1)};
}

bool is_ipv4(const std::string& text) {
    in_addr address{};
    return ::inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool is_ipv6(const std::string& text) {
    in6_addr address{};
    return ::inet_pton(AF_INET6, text.c_str(), &address) == 1;
}

std::string checked_host_ip(std::string text) {
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (text.empty()) return text;
    if (!is_ipv4(text) && !is_ipv6(text)) throw Error("cannot parse \"" + text + "\" as an IP address");
    return text;
}

std::vector<std::string> parse_protocols(std::string_view text) {
    std::vector<std::string> protocols;
    for (const auto& protocol : split(text, ',')) {
        if (protocol != "tcp" && protocol != "udp")
            throw Error("unrecognized protocol \"" + protocol + "\" in port mapping");
        if (std::find(protocols.begin(), protocols.end(), protocol) == protocols.end()) protocols.push_back(protocol);
    }
    return protocols;
}

// Splits "[::1]:8080:80", "1.2.3.4:8080:80", "8080:80", "80" into host ip, host port and container port texts.
struct PublishParts {
    std::string host_ip, host_port, container_port;
};

PublishParts split_publish(std::string_view text) {
    PublishParts parts;
    if (!text.empty() && text.front() == '[') {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            throw Error("invalid IPv6 address in port mapping \"" + std::string(text) + "\"");
        parts.host_ip = std::string(text.substr(0, close + 1));
        text = text.substr(close + 2);
        auto colon = text.find(':');
        if (colon == std::string_view::npos)
            throw Error("invalid port mapping \"" + std::string(text) + "\": a host address needs a host port");
        parts.host_port = std::string(text.substr(0, colon));
        parts.container_port = std::string(text.substr(colon + 1));
        return parts;
    }
    auto fields = split(text, ':');
    if (fields.size() == 1) {
        parts.container_port = fields[0];
    } else if (fields.size() == 2) {
        parts.host_port = fields[0];
        parts.container_port = fields[1];
    } else if (fields.size() == 3) {
        parts.host_ip = fields[0];
        parts.host_port = fields[1];
        parts.container_port = fields[2];
    } else {
        throw Error("invalid port format \"" + std::string(text) + "\": expected [[ip:]hostPort:]containerPort");
    }
    return parts;
}

int address_family(const std::string& host_ip) { return is_ipv6(host_ip) ? AF_INET6 : AF_INET; }

// A socket of the mapping's protocol bound to host_ip:port (port 0: any free port); errno when it cannot be.
UniqueFd bind_port(const std::string& host_ip, const std::string& protocol, uint16_t port, int& error) {
    int family = address_family(host_ip);
    int type = protocol == "udp" ? SOCK_DGRAM : SOCK_STREAM;
    UniqueFd fd(::socket(family, type | SOCK_CLOEXEC, 0));
    if (!fd) {
        error = errno;
        return fd;
    }
    int yes = 1;
    if (type == SOCK_STREAM) ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (family == AF_INET6) {
        auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
        address->sin6_family = AF_INET6;
        address->sin6_port = htons(port);
        ::inet_pton(AF_INET6, host_ip.c_str(), &address->sin6_addr);
        length = sizeof *address;
    } else {
        auto* address = reinterpret_cast<sockaddr_in*>(&storage);
        address->sin_family = AF_INET;
        address->sin_port = htons(port);
        if (!host_ip.empty()) ::inet_pton(AF_INET, host_ip.c_str(), &address->sin_addr);
        length = sizeof *address;
    }
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&storage), length) != 0 ||
        (type == SOCK_STREAM && ::listen(fd.get(), 1) != 0)) {
        error = errno;
        fd.reset();
    }
    return fd;
}

uint16_t bound_port(int fd) {
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) throw_last_errno("getsockname");
    if (storage.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
}

// A free first port for `count` consecutive ports of the mapping.
uint16_t free_port_range(const PortMapping& mapping) {
    for (int attempt = 0; attempt < random_port_attempts; ++attempt) {
        int error = 0;
        UniqueFd first = bind_port(mapping.host_ip, mapping.protocol, 0, error);
        if (!first) throw_errno("find a free host port", error);
        uint16_t port = bound_port(first.get());
        if (static_cast<unsigned>(port) + mapping.range - 1 > 65535) continue;
        bool all_free = true;
        std::vector<UniqueFd> held;
        for (uint16_t offset = 1; offset < mapping.range && all_free; ++offset) {
            held.push_back(bind_port(mapping.host_ip, mapping.protocol, static_cast<uint16_t>(port + offset), error));
            all_free = held.back().valid();
        }
        if (all_free) return port;
    }
    throw Error("cannot find " + std::to_string(mapping.range) + " free consecutive host ports");
}

std::string shown_ip(const std::string& host_ip) {
    if (host_ip.empty()) return "0.0.0.0";
    return is_ipv6(host_ip) ? "[" + host_ip + "]" : host_ip;
}

std::string port_span(uint16_t first, uint16_t count) {
    if (count <= 1) return std::to_string(first);
    return std::to_string(first) + "-" + std::to_string(first + count - 1);
}

}  // namespace

std::vector<PortMapping> parse_publish(std::string_view value) {
    std::string_view text = value;
    std::vector<std::string> protocols{"tcp"};
    if (auto slash = text.rfind('/'); slash != std::string_view::npos) {
        protocols = parse_protocols(text.substr(slash + 1));
        text = text.substr(0, slash);
    }
    if (text.empty()) throw Error("invalid port format \"" + std::string(value) + "\": no container port");
    auto parts = split_publish(text);
    PortMapping mapping;
    mapping.host_ip = checked_host_ip(parts.host_ip);
    auto container = parse_port_range("container port", parts.container_port);
    mapping.container_port = container.first;
    mapping.range = container.count;
    if (!parts.host_port.empty()) {
        auto host = parse_port_range("host port", parts.host_port);
        if (host.count != container.count && host.count != 1)
            throw Error("host and container port ranges have different lengths: " + std::to_string(host.count) +
                        " vs " + std::to_string(container.count));
        if (host.count == 1 && container.count != 1)
            throw Error("host and container port ranges have different lengths: 1 vs " +
                        std::to_string(container.count));
        mapping.host_port = host.first;
    }
    std::vector<PortMapping> mappings;
    for (const auto& protocol : protocols) {
        mapping.protocol = protocol;
        mappings.push_back(mapping);
    }
    return mappings;
}

std::vector<PortMapping> exposed_port_mappings(const nlohmann::json& image_config) {
    std::vector<PortMapping> mappings;
    auto section = image_config.find("config");
    if (section == image_config.end() || !section->is_object()) return mappings;
    auto exposed = section->find("ExposedPorts");
    if (exposed == section->end() || !exposed->is_object()) return mappings;
    for (const auto& [key, unused] : exposed->items()) {
        auto parsed = parse_publish(key);
        for (auto& mapping : parsed) mappings.push_back(mapping);
    }
    return mappings;
}

void merge_publish_all(std::vector<PortMapping>& ports, const std::vector<PortMapping>& exposed) {
    for (const auto& candidate : exposed) {
        bool published = std::any_of(ports.begin(), ports.end(), [&](const PortMapping& port) {
            return port.protocol == candidate.protocol && candidate.container_port >= port.container_port &&
                   candidate.container_port < port.container_port + port.range;
        });
        if (!published) ports.push_back(candidate);
    }
}

void assign_random_host_ports(std::vector<PortMapping>& ports) {
    for (auto& mapping : ports)
        if (mapping.host_port == 0) mapping.host_port = free_port_range(mapping);
}

std::vector<UniqueFd> reserve_host_ports(const std::vector<PortMapping>& ports) {
    std::vector<UniqueFd> held;
    for (const auto& mapping : ports) {
        for (uint16_t offset = 0; offset < mapping.range; ++offset) {
            auto port = static_cast<uint16_t>(mapping.host_port + offset);
            int error = 0;
            UniqueFd fd = bind_port(mapping.host_ip, mapping.protocol, port, error);
            if (!fd) {
                std::string protocol = mapping.protocol == "udp" ? "UDP" : "TCP";
                std::string family = mapping.protocol + (address_family(mapping.host_ip) == AF_INET6 ? "6" : "4");
                throw Error("cannot listen on the " + protocol + " port: listen " + family + " " +
                            shown_ip(mapping.host_ip) + ":" + std::to_string(port) + ": bind: " + errno_text(error));
            }
            held.push_back(std::move(fd));
        }
    }
    return held;
}

std::string format_ports(const std::vector<PortMapping>& ports) {
    std::string text;
    for (const auto& mapping : ports) {
        if (!text.empty()) text += ", ";
        text += shown_ip(mapping.host_ip) + ":" + port_span(mapping.host_port, mapping.range) + "->" +
                port_span(mapping.container_port, mapping.range) + "/" + mapping.protocol;
    }
    return text;
}

std::vector<std::string> port_lines(const std::vector<PortMapping>& ports) {
    std::vector<std::string> lines;
    for (const auto& mapping : ports)
        for (uint16_t offset = 0; offset < mapping.range; ++offset)
            lines.push_back(std::to_string(mapping.container_port + offset) + "/" + mapping.protocol + " -> " +
                            shown_ip(mapping.host_ip) + ":" + std::to_string(mapping.host_port + offset));
    return lines;
}

std::vector<std::string> host_addresses_of(const std::vector<PortMapping>& ports, std::string_view private_port) {
    std::string protocol = "tcp";
    std::string_view number_text = private_port;
    if (auto slash = private_port.find('/'); slash != std::string_view::npos) {
        protocol = std::string(private_port.substr(slash + 1));
        number_text = private_port.substr(0, slash);
        if (protocol != "tcp" && protocol != "udp")
            throw Error("invalid port \"" + std::string(private_port) + "\": protocol must be tcp or udp");
    }
    uint16_t number = parse_port_number("port", number_text);
    std::vector<std::string> addresses;
    for (const auto& mapping : ports) {
        if (mapping.protocol != protocol || number < mapping.container_port ||
            number >= mapping.container_port + mapping.range)
            continue;
        addresses.push_back(shown_ip(mapping.host_ip) + ":" +
                            std::to_string(mapping.host_port + (number - mapping.container_port)));
    }
    return addresses;
}

nlohmann::json ports_to_json(const std::vector<PortMapping>& ports) {
    auto json = nlohmann::json::array();
    for (const auto& mapping : ports)
        json.push_back({{"host_ip", mapping.host_ip},
                        {"container_port", mapping.container_port},
                        {"host_port", mapping.host_port},
                        {"range", mapping.range},
                        {"protocol", mapping.protocol}});
    return json;
}

}  // namespace berth::netns
