// The /etc files each container gets from berth rather than from its image: hosts, hostname and resolv.conf,
// written into the container's userdata directory and bind-mounted over the image's.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::engine {

// What the container's network says about names: its own address, the host's, its name servers, and the
// --dns*, --add-host flags.
struct EtcNetwork {
    std::string container_ip;                   // the container's address ("" : its names go on 127.0.1.1)
    std::string host_gateway;                   // the address of host.containers.internal ("" : no such entry)
    bool host_network = false;                  // --network host: the host's own resolv.conf, loopback servers included
    std::vector<std::string> mode_nameservers;  // the network's own DNS server (slirp4netns: 10.0.2.3), first
    std::vector<std::pair<std::string, std::string>> add_hosts;  // --add-host NAME:IP
    std::vector<std::string> dns;                                // --dns: replaces every server
    std::vector<std::string> dns_search;                         // --dns-search: replaces the search list ("." : none)
    std::vector<std::string> dns_option;                         // --dns-option: replaces the options
};

// /etc/hosts: the loopback names, the --add-host entries, the container's hostname and name on its address (on
// 127.0.1.1 without one, as `--network none` gives in Podman), then host.containers.internal.
std::string container_hosts_file(const std::string& hostname, const std::string& name, const EtcNetwork& network = {});

// /etc/resolv.conf from the host's: search, options and nameservers kept, loopback nameservers dropped (a
// container's network namespace cannot reach them); Podman's fallback servers when none is left. The network's
// own server goes first; --dns, --dns-search and --dns-option replace what they name.
std::string container_resolv_conf(std::string_view host_resolv_conf, const EtcNetwork& network = {});

// Writes hosts, hostname and resolv.conf into `userdata` and returns {destination, file} pairs for the spec.
std::vector<std::pair<std::string, std::string>> write_container_etc_files(const std::string& userdata,
                                                                           const std::string& hostname,
                                                                           const std::string& name,
                                                                           const EtcNetwork& network = {});

// The hosts file with the container's own line ("<address>\t<hostname> <name>") on `address`.
std::string hosts_with_address(std::string_view hosts, const std::string& hostname, const std::string& name,
                               const std::string& address);

// Puts the container's address into userdata's hosts file once it is known (bridge networks: at each start).
void update_container_hosts(const std::string& userdata, const std::string& hostname, const std::string& name,
                            const std::string& address);

}  // namespace berth::engine
