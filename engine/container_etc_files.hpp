// The /etc files each container gets from berth rather than from its image: hosts, hostname and resolv.conf,
// written into the container's userdata directory and bind-mounted over the image's.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::engine {

// /etc/hosts: the loopback names, then the container's hostname and name on 127.0.1.1 (no network of its own
// yet), as `--network none` gives in Podman.
std::string container_hosts_file(const std::string& hostname, const std::string& name);

// /etc/resolv.conf from the host's: search, options and nameservers kept, loopback nameservers dropped (a
// container's network namespace cannot reach them); Podman's fallback servers when none is left.
std::string container_resolv_conf(std::string_view host_resolv_conf);

// Writes hosts, hostname and resolv.conf into `userdata` and returns {destination, file} pairs for the spec.
std::vector<std::pair<std::string, std::string>> write_container_etc_files(const std::string& userdata,
                                                                           const std::string& hostname,
                                                                           const std::string& name);

}  // namespace berth::engine
