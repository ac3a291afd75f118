// A container's network, attached once its namespaces exist and detached when this object goes away: the
// user-mode helper of slirp4netns and pasta (the monitor's child), or the CNI plugins of a bridge network.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "netns/network_mode.hpp"
#include "netns/port_mapping.hpp"

namespace berth::netns {

class Slirp4netns;
class Pasta;
class CniAttachment;

struct AttachRequest {
    NetworkMode mode;
    std::vector<PortMapping> ports;
    std::string container_id;
    std::string state_dir;  // for the helper's API socket and log (short: a socket path must fit in 108 bytes)
};

// Checks what a container of `mode` needs before it is started (the helper program, /dev/net/tun) and binds
// its published host ports: Error in one line when something is missing or a port is taken. For a bridge the
// sockets are returned, to keep the ports while the container runs; a helper binds them itself, so for
// slirp4netns and pasta they are only checked.
std::vector<UniqueFd> prepare_network(const AttachRequest& request);

class NetworkAttachment {
public:
    // Attaches the network of `request` to the namespaces of `pid`. `reserved` are prepare_network()'s sockets,
    // kept while attached (portmap forwards with iptables, so holding the ports keeps other programs off them).
    // Throws Error when it fails, leaving nothing behind.
    NetworkAttachment(const AttachRequest& request, pid_t pid, std::vector<UniqueFd> reserved);
    NetworkAttachment(const NetworkAttachment&) = delete;
    NetworkAttachment& operator=(const NetworkAttachment&) = delete;
    ~NetworkAttachment();

    // The container's IPv4 address on a bridge network ("" for the other modes).
    std::string bridge_address() const;

private:
    std::vector<UniqueFd> reserved_;
    std::unique_ptr<Slirp4netns> slirp_;
    std::unique_ptr<Pasta> pasta_;
    std::unique_ptr<CniAttachment> cni_;
};

// The path of the helper program of `kind` (slirp4netns or pasta); Error naming it when it is not installed.
std::string helper_binary(NetworkKind kind);

}  // namespace berth::netns
