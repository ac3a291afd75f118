// Root's bridge networks, built from the CNI reference plugins (bridge + host-local IPAM, portmap, firewall):
// the network's config (a CNI conflist) is written on first use, the plugins are run in order with ADD when the
// container starts and in reverse with DEL when it stops. The container's network namespace is bind-mounted
// under /run/berth/netns meanwhile, so that DEL still finds it after the container's processes are gone.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netns/port_mapping.hpp"

namespace berth::netns {

// The default bridge network: 10.88.0.0/16 on the berth0 bridge, gateway 10.88.0.1, NAT to the outside.
inline constexpr const char* default_bridge_subnet = "10.88.0.0/16";
inline constexpr const char* default_bridge_gateway = "10.88.0.1";
inline constexpr const char* default_bridge_device = "berth0";

// Where network configs live (/etc/berth/networks: one host-wide config per network, as the bridge device and
// its subnet are host-wide), where IPAM keeps its leases (/run/berth/networks: they die with the namespaces at
// reboot), and where the plugins are (/usr/lib/cni, /opt/cni/bin).
struct CniPaths {
    std::string config_dir = "/etc/berth/networks";
    std::string state_dir = "/run/berth/networks";
    std::string plugin_path = "/usr/lib/cni:/usr/libexec/cni:/opt/cni/bin";
};

// Keeps the network namespace of `pid` reachable as <directory>/<id> (a bind mount) until unbound, so that a
// network's teardown still finds it after the container's processes are gone. Returns the path.
std::string bind_network_namespace(pid_t pid, const std::string& directory, const std::string& id);
void unbind_network_namespace(const std::string& path);

// The conflist of the default network `name`.
nlohmann::json default_network_config(const std::string& name, const CniPaths& paths);

// The config of network `name`: read from <config_dir>/<name>.conflist, written there first for the default
// network. Error "unable to find network with name or ID x: network not found" for others.
nlohmann::json load_network_config(const std::string& name, const CniPaths& paths);

// The stdin of one plugin: its own config with the list's name and cniVersion, the previous result, and the port
// mappings as portmap's runtimeConfig.
nlohmann::json plugin_input(const nlohmann::json& list, const nlohmann::json& plugin, const nlohmann::json& previous,
                            const std::vector<PortMapping>& ports);

// The container's first IPv4 address in a CNI result ("10.88.0.2"), "" when none.
std::string result_ipv4(const nlohmann::json& result);

class CniAttachment {
public:
    // Runs ADD of every plugin for the container `id` in the namespace of `pid`; on failure what was added is
    // deleted again and Error says which plugin failed and why.
    CniAttachment(const std::string& network, const std::string& id, pid_t pid, const std::vector<PortMapping>& ports,
                  const CniPaths& paths = {});
    CniAttachment(const CniAttachment&) = delete;
    CniAttachment& operator=(const CniAttachment&) = delete;
    // DEL of every plugin, in reverse; failures are warnings.
    ~CniAttachment();

    const std::string& address() const { return address_; }

private:
    void remove() noexcept;

    CniPaths paths_;
    nlohmann::json config_;
    std::string id_;
    std::string netns_path_;
    std::vector<PortMapping> ports_;
    nlohmann::json result_;
    size_t added_ = 0;  // plugins whose ADD ran
    std::string address_;
};

}  // namespace berth::netns
