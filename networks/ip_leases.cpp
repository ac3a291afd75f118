#include "networks/ip_leases.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "networks/ip_network.hpp"

namespace berth::networks {
namespace {}  // namespace

// Whether the lease file is now the container's: made here, held by it already, or taken over from a container
// that is gone.
bool IpLeases::take(const std::string& path, const std::string& container_id) const {
    for (int attempt = 0; attempt < 2; ++attempt) {
        UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
        if (fd.valid()) {
            if (::write(fd.get(), container_id.data(), container_id.size()) !=
                static_cast<ssize_t>(container_id.size()))
                throw_last_errno("write " + path);
            return true;
        }
        if (errno != EEXIST) throw_last_errno("lease address " + path);
        std::string holder = read_file_if_exists(path).value_or("");
        if (holder == container_id) return true;
        if (!holder_exists_ || holder.empty() || holder_exists_(holder)) return false;
        ::unlink(path.c_str());
    }
    return false;
}

std::string IpLeases::lease(const Network& network, const NetworkSubnet& subnet, const std::string& container_id,
                            const std::string& wanted) {
    auto range = parse_subnet(subnet.subnet);
    if (!range) throw Error("network " + network.name + ": invalid subnet " + subnet.subnet);
    std::string directory = directory_ + "/" + network.name;
    make_directories(directory, 0700);
    if (!wanted.empty()) {
        auto address = parse_ip(wanted);
        if (!address || !subnet_contains(*range, *address))
            throw Error("requested static ip " + wanted + " not in any subnet on network " + network.name);
        if (ip_text(*address) == subnet.gateway || !take(directory + "/" + ip_text(*address), container_id))
            throw Error("IPAM error: requested ip address " + wanted + " is already allocated to another container");
        return ip_text(*address);
    }
    auto first = subnet.lease_start.empty() ? address_at(*range, 1) : *parse_ip(subnet.lease_start);
    auto last = subnet.lease_end.empty() ? last_address(*range) : *parse_ip(subnet.lease_end);
    IpSubnet from{first, range->prefix};
    for (uint64_t offset = 0; offset < (1u << 20); ++offset) {
        auto address = address_at(from, offset);
        if (!subnet_contains(*range, address)) break;
        if (address == last && !address.v6 && address == last_address(*range)) break;  // the broadcast address
        std::string text = ip_text(address);
        if (text != subnet.gateway && take(directory + "/" + text, container_id)) return text;
        if (address == last) break;
    }
    throw Error("IPAM error: failed to find free IP in range: " + subnet.subnet);
}

std::vector<std::string> IpLeases::holders(const Network& network) const {
    std::vector<std::string> ids;
    std::string directory = directory_ + "/" + network.name;
    if (!path_exists(directory)) return ids;
    for (const auto& entry : list_directory(directory)) {
        std::string holder = read_file_if_exists(directory + "/" + entry).value_or("");
        if (!holder.empty() && std::find(ids.begin(), ids.end(), holder) == ids.end()) ids.push_back(holder);
    }
    return ids;
}

void IpLeases::release(const Network& network, const std::string& container_id) noexcept {
    std::string directory = directory_ + "/" + network.name;
    try {
        for (const auto& entry : list_directory(directory)) {
            std::string path = directory + "/" + entry;
            if (read_file_if_exists(path).value_or("") == container_id) ::unlink(path.c_str());
        }
    } catch (const std::exception&) {
    }
}

}  // namespace berth::networks
