// The addresses containers hold on a network: one file per address, <directory>/<network>/<address>, holding the
// container's id, made with O_EXCL so that two starts never get one address. Leases live in the run root (gone at
// reboot, as the namespaces are).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "networks/network_record.hpp"

namespace berth::networks {

class IpLeases {
public:
    // Whether the container of a lease is still there; a lease of one that is gone (its monitor killed before it
    // gave the address back, then the container removed) is free again. Without it every lease counts.
    using HolderExists = std::function<bool(const std::string& container_id)>;

    explicit IpLeases(std::string directory, HolderExists holder_exists = {})
        : directory_(std::move(directory)), holder_exists_(std::move(holder_exists)) {}

    // An address of `subnet` (an entry of network.subnets) for the container: `wanted` when given (Podman's Error
    // when taken or outside the subnet), else the first free one of the lease range or the subnet, past the
    // gateway. An address the container already holds is its again.
    std::string lease(const Network& network, const NetworkSubnet& subnet, const std::string& container_id,
                      const std::string& wanted);

    // The containers that hold addresses of the network, once each.
    std::vector<std::string> holders(const Network& network) const;

    // Gives the container's addresses on the network back.
    void release(const Network& network, const std::string& container_id) noexcept;

private:
    bool take(const std::string& path, const std::string& container_id) const;

    std::string directory_;
    HolderExists holder_exists_;
};

}  // namespace berth::networks
