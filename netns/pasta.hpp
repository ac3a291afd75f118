// --network pasta: a pasta process in the foreground, the monitor's child, copies the host's addresses and
// routes into the container's network namespace (--config-net) and forwards published ports (-t/-u). The host's
// gateway address reaches the host itself (pasta maps it), which is host.containers.internal. It ends with the
// monitor (PR_SET_PDEATHSIG) and when this object goes away.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "netns/helper_process.hpp"
#include "netns/network_mode.hpp"
#include "netns/port_mapping.hpp"

namespace berth::netns {

struct PastaRequest {
    std::string binary;  // the pasta program
    pid_t pid = 0;       // the container's first process: its user and network namespaces are joined
    const NetworkMode* mode = nullptr;
    std::vector<PortMapping> ports;
    std::string log_path;
};

// The arguments pasta gets: "-t 8080:80" per TCP mapping ("-t 127.0.0.1/8080-8081:80-81"), "-u" for UDP, "none"
// when there is nothing to forward, no forwarding from the container to the host's ports (-T none -U none), then
// the user's own options and the pid.
std::vector<std::string> pasta_arguments(const PastaRequest& request);

class Pasta {
public:
    // Starts pasta and waits until the namespace has its default route. Error with pasta's own message.
    explicit Pasta(const PastaRequest& request);
    Pasta(Pasta&&) = default;

private:
    HelperProcess process_;
};

// Whether /proc/net/route's text has a default route.
bool has_default_route(const std::string& proc_net_route);

}  // namespace berth::netns
