// A container's network as the engine sees it: the mode and published ports chosen at create (kept in the
// record), the names its /etc files give, and the attachment made at each start and undone at its exit.
#pragma once

#include <sys/types.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/container_etc_files.hpp"
#include "engine/run_options.hpp"
#include "netns/network_attachment.hpp"
#include "netns/network_mode.hpp"
#include "netns/port_mapping.hpp"
#include "networks/netavark.hpp"
#include "storage/container_store.hpp"

namespace berth::engine {

// --network for this caller: the default is the preferred helper (berth info's) when rootless, the default
// bridge network for root; of a list (a,b) the first, the others checked. A user-defined network must exist in the
// graph root's networks; --ip and
// --network-alias go with it (Error for another mode).
netns::NetworkMode resolve_network_mode(const RunOptions& options, bool rootless, const std::string& graph_root);

// The -p mappings and, with -P, the image's ExposedPorts, with random host ports chosen. Modes without a network
// namespace of their own to publish into (host, none) discard them with a warning, as Podman does.
std::vector<netns::PortMapping> published_ports(const RunOptions& options, const nlohmann::json& image_config,
                                                const netns::NetworkMode& mode);

// With --network a,b,...: the networks after the first, connected at create (networks' connections).
void connect_more_networks(const RunOptions& options, const std::string& graph_root, const std::string& id);

// What the container's /etc files say for its mode and flags (a user-defined network's DNS server: its gateway,
// where aardvark-dns answers).
EtcNetwork etc_network(const netns::NetworkMode& mode, const RunOptions& options, const std::string& graph_root);

std::vector<storage::PublishedPort> to_records(const std::vector<netns::PortMapping>& ports);
std::vector<netns::PortMapping> from_records(const std::vector<storage::PublishedPort>& ports);

// -p/--publish's value (netns::parse_publish).
std::vector<netns::PortMapping> parse_publish_flag(const std::string& value);

// A container's published ports as `ps` shows them: the PORTS column ("0.0.0.0:8080->80/tcp"), and JSON in
// Podman's field names (null without any).
std::string ports_column(const storage::ContainerRecord& record);
nlohmann::json ports_json(const storage::ContainerRecord& record);

// `port`: every mapping as "80/tcp -> 0.0.0.0:8080", or the host addresses of one private port ("80", "53/udp").
std::vector<std::string> port_lines(const storage::ContainerRecord& record);
std::vector<std::string> port_host_addresses(const storage::ContainerRecord& record, const std::string& private_port);

// The network of one run of a container: prepare() before it starts (checks, host ports bound: a port in use is
// an Error before anything runs), attach() from the executor's before_start hook, torn down with this object.
class ContainerNetwork {
public:
    ContainerNetwork(const storage::ContainerRecord& record, const std::string& graph_root, const std::string& run_root,
                     const std::string& userdata);
    ~ContainerNetwork();
    void prepare();
    void attach(pid_t pid);
    void detach();

private:
    void attach_user_network(const std::string& endpoint_text, pid_t pid);

    netns::AttachRequest request_;
    std::string graph_root_;
    std::string run_root_;
    std::string userdata_;
    std::string name_;
    std::vector<UniqueFd> reserved_;
    bool attached_ = false;
    std::unique_ptr<netns::NetworkAttachment> attachment_;
    std::vector<std::unique_ptr<networks::NetavarkAttachment>> user_networks_;  // created on, then connected
};

}  // namespace berth::engine
