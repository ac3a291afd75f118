// Containers on user-defined networks, attached with netavark (Podman 4's network backend): `netavark setup`
// with the network's definition and the container's addresses on stdin makes the bridge, the veth pair, the
// firewall rules and port forwards, and starts aardvark-dns, which resolves the names of the containers of a
// network; `netavark teardown` undoes it. berth leases the addresses itself, as Podman does.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "netns/port_mapping.hpp"
#include "networks/network_record.hpp"

namespace berth::networks {

// A container's place on one network: --network NAME[:ip=,alias=,...], --ip, --network-alias.
struct NetworkEndpoint {
    std::string network;               // the network's name
    std::string static_ip;             // "" to lease one
    std::string static_mac;            // "" for a random one
    std::vector<std::string> aliases;  // more names it resolves as (besides its own name and short id)
    std::string interface_name = "eth0";
};

// Parses the text a container's record keeps: "NAME" or "NAME:ip=10.89.0.5,mac=...,alias=db,alias=cache". Podman's
// error for another option.
NetworkEndpoint parse_endpoint(const std::string& text);
// The text parse_endpoint() reads.
std::string endpoint_text(const NetworkEndpoint& endpoint);

struct NetavarkRequest {
    std::string container_id;
    std::string container_name;
    NetworkEndpoint endpoint;
    Network network;
    std::vector<std::string> addresses;  // the leased ones, one per subnet
    std::vector<netns::PortMapping> ports;
};

// netavark's stdin for setup and teardown (its NetworkOptions).
nlohmann::json netavark_options(const NetavarkRequest& request);

// The first IPv4 address in netavark's setup output ("10.89.0.2"), "" when none.
std::string setup_result_ipv4(const nlohmann::json& result);

// Where netavark and aardvark-dns are (Debian's /usr/lib/podman first); Error naming the package when missing.
std::string netavark_binary();
std::string aardvark_binary();

// Where the network state of a run root lives: <run root>/networks (netavark's --config: aardvark-dns' files),
// with the address leases and the namespaces' bind mounts under it.
struct NetavarkPaths {
    std::string config_dir;
    std::string graph_root;  // whose containers hold the leases
    std::string leases_dir() const { return config_dir + "/leases"; }
    std::string netns_dir() const { return config_dir + "/netns"; }
};

// Undoes a container's setup on the network that no NetavarkAttachment owns (a connected network, or what a
// container removed after its monitor was killed left): netavark's teardown, the bind mount of its namespace, its
// addresses. Nothing when it is not set up. Failures are warnings.
void tear_down_leftover(const Network& network, const std::string& container_id, const NetavarkPaths& paths,
                        const std::string& interface_name = "eth0") noexcept;

// tear_down_leftover() for every removed container that still holds an address of the network, and gives the
// addresses back (network rm and prune call it, so a network goes with nothing of it left behind).
void reconcile_network(const Network& network, const NetavarkPaths& paths) noexcept;

class NetavarkAttachment {
public:
    // Leases addresses (taking over those of removed containers, whose leftover setup is torn down first), binds
    // the namespace of `pid` and runs setup; Error with netavark's message when it fails,
    // leaving nothing behind.
    NetavarkAttachment(NetavarkRequest request, pid_t pid, NetavarkPaths paths);
    NetavarkAttachment(const NetavarkAttachment&) = delete;
    NetavarkAttachment& operator=(const NetavarkAttachment&) = delete;
    // Runs teardown and gives the addresses back; failures are warnings.
    ~NetavarkAttachment();

    const std::string& address() const { return address_; }

    // Leaves the setup in place when this object goes away (network connect: the container's monitor tears it
    // down at its exit, with tear_down_leftover()).
    void keep() noexcept;

private:
    void remove() noexcept;

    NetavarkRequest request_;
    NetavarkPaths paths_;
    std::string netns_path_;
    bool set_up_ = false;
    bool kept_ = false;
    std::string address_;
};

}  // namespace berth::networks
