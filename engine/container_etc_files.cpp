#include "engine/container_etc_files.hpp"

#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::engine {
namespace {

bool is_loopback_nameserver(std::string_view address) {
    return address.starts_with("127.") || address == "::1" || address == "0:0:0:0:0:0:0:1";
}

std::string joined(const std::vector<std::string>& words) {
    std::string text;
    for (const auto& word : words) text += (text.empty() ? "" : " ") + word;
    return text;
}

bool replaces_anything(const EtcNetwork& network) {
    return !network.mode_nameservers.empty() || !network.dns.empty() || !network.dns_search.empty() ||
           !network.dns_option.empty();
}

// The host's file, lines kept in order, loopback servers dropped; Podman's fallback when no server is left.
std::string filtered_host_resolv_conf(std::string_view host_resolv_conf) {
    std::string text;
    bool nameserver = false;
    for (const auto& raw : split(host_resolv_conf, '\n')) {
        auto line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.starts_with("nameserver")) {
            auto address = trim(line.substr(10));
            if (is_loopback_nameserver(address)) continue;
            nameserver = true;
        }
        text += std::string(line) + "\n";
    }
    if (!nameserver) text += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
    return text;
}

struct ResolvParts {
    std::vector<std::string> nameservers, search, options;
};

ResolvParts parse_resolv_conf(std::string_view text) {
    ResolvParts parts;
    for (const auto& raw : split(text, '\n')) {
        auto line = trim(raw);
        auto words = split(std::string(line), ' ');
        std::erase_if(words, [](const std::string& word) { return word.empty(); });
        if (words.size() < 2) continue;
        std::vector<std::string> rest(words.begin() + 1, words.end());
        if (words[0] == "nameserver" && !is_loopback_nameserver(words[1])) parts.nameservers.push_back(words[1]);
        if (words[0] == "search" || words[0] == "domain") parts.search = rest;
        if (words[0] == "options") parts.options.insert(parts.options.end(), rest.begin(), rest.end());
    }
    return parts;
}

}  // namespace

std::string container_hosts_file(const std::string& hostname, const std::string& name, const EtcNetwork& network) {
    std::string text =
        "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
        "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n";
    for (const auto& [host, address] : network.add_hosts) text += address + "\t" + host + "\n";
    text += (network.container_ip.empty() ? "127.0.1.1" : network.container_ip) + "\t" + hostname;
    if (name != hostname) text += " " + name;
    text += "\n";
    if (!network.host_gateway.empty()) text += network.host_gateway + "\thost.containers.internal\n";
    return text;
}

std::string container_resolv_conf(std::string_view host_resolv_conf, const EtcNetwork& network) {
    if (network.host_network && !replaces_anything(network)) return std::string(host_resolv_conf);
    if (!replaces_anything(network)) return filtered_host_resolv_conf(host_resolv_conf);
    auto host = parse_resolv_conf(host_resolv_conf);
    std::vector<std::string> servers = network.dns;
    if (servers.empty()) {
        servers = network.mode_nameservers;
        servers.insert(servers.end(), host.nameservers.begin(), host.nameservers.end());
    }
    if (servers.empty()) servers = {"8.8.8.8", "8.8.4.4"};
    auto search = network.dns_search.empty() ? host.search : network.dns_search;
    if (search.size() == 1 && search.front() == ".") search.clear();
    auto options = network.dns_option.empty() ? host.options : network.dns_option;
    std::string text;
    if (!search.empty()) text += "search " + joined(search) + "\n";
    for (const auto& server : servers) text += "nameserver " + server + "\n";
    if (!options.empty()) text += "options " + joined(options) + "\n";
    return text;
}

std::vector<std::pair<std::string, std::string>> write_container_etc_files(const std::string& userdata,
                                                                           const std::string& hostname,
                                                                           const std::string& name,
                                                                           const EtcNetwork& network) {
    std::string hosts = userdata + "/hosts";
    std::string hostname_file = userdata + "/hostname";
    std::string resolv = userdata + "/resolv.conf";
    write_file_atomic(hosts, container_hosts_file(hostname, name, network), 0644, Durability::atomic);
    write_file_atomic(hostname_file, hostname + "\n", 0644, Durability::atomic);
    write_file_atomic(resolv, container_resolv_conf(read_file_if_exists("/etc/resolv.conf").value_or(""), network),
                      0644, Durability::atomic);
    return {{"/etc/hostname", hostname_file}, {"/etc/hosts", hosts}, {"/etc/resolv.conf", resolv}};
}

std::string hosts_with_address(std::string_view hosts, const std::string& hostname, const std::string& name,
                               const std::string& address) {
    std::string names = name == hostname ? hostname : hostname + " " + name;
    std::string text;
    for (const auto& line : split(hosts, '\n')) {
        if (line.empty()) continue;
        auto tab = line.find('\t');
        if (tab != std::string::npos && line.substr(tab + 1) == names)
            text += address + "\t" + names + "\n";
        else
            text += line + "\n";
    }
    return text;
}

void update_container_hosts(const std::string& userdata, const std::string& hostname, const std::string& name,
                            const std::string& address) {
    std::string path = userdata + "/hosts";
    auto hosts = read_file_if_exists(path);
    if (!hosts || address.empty()) return;
    write_file_atomic(path, hosts_with_address(*hosts, hostname, name, address), 0644);
}

}  // namespace berth::engine
