// --network slirp4netns: a slirp4netns process, the monitor's child, gives the container's network namespace a
// tap0 interface (10.0.2.100/24 by default, gateway 10.0.2.2, DNS forwarder 10.0.2.3) and forwards published
// ports through its API socket (add_hostfwd). It ends with the monitor (--exit-fd and PR_SET_PDEATHSIG) and
// when this object goes away.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "netns/helper_process.hpp"
#include "netns/network_mode.hpp"
#include "netns/port_mapping.hpp"

namespace berth::netns {

struct SlirpRequest {
    std::string binary;  // the slirp4netns program
    pid_t pid = 0;       // the container's first process: its user and network namespaces are joined
    const NetworkMode* mode = nullptr;
    std::vector<PortMapping> ports;
    std::string api_socket;  // where its API socket goes (shorter than 108 bytes)
    std::string log_path;    // its output
};

// The arguments slirp4netns gets, exit and ready fds being 3 and 4.
std::vector<std::string> slirp4netns_arguments(const SlirpRequest& request);

// The add_hostfwd requests of the API for `ports` (one per port of a range), as JSON lines.
std::vector<std::string> hostfwd_requests(const std::vector<PortMapping>& ports, const std::string& guest_address);

class Slirp4netns {
public:
    // Starts slirp4netns, waits until the interface is configured and adds the port forwards. Throws Error with
    // slirp4netns's own message when it fails.
    explicit Slirp4netns(const SlirpRequest& request);
    Slirp4netns(Slirp4netns&&) = default;
    ~Slirp4netns();

private:
    UniqueFd exit_write_;
    HelperProcess process_;
    std::string api_socket_;
};

}  // namespace berth::netns
