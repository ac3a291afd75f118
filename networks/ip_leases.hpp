// The addresses containers hold on a network: one file per address, <directory>/<network>/<address>, holding the
// container's id, made with O_EXCL so that two starts never get one address. Leases live in the run root (gone at
// reboot, as the namespaces are).
#pragma once

#include <string>

#include "networks/network_record.hpp"

namespace berth::networks {

class IpLeases {
public:
    explicit IpLeases(std::string directory) : directory_(std::move(directory)) {}

    // An address of `subnet` (an entry of network.subnets) for the container: `wanted` when given (Podman's Error
    // when taken or outside the subnet), else the first free one of the lease range or the subnet, past the
    // gateway. An address the container already holds is its again.
    std::string lease(const Network& network, const NetworkSubnet& subnet, const std::string& container_id,
                      const std::string& wanted);

    // Gives the container's addresses on the network back.
    void release(const Network& network, const std::string& container_id) noexcept;

private:
    std::string directory_;
};

}  // namespace berth::networks
