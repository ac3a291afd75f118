#include "netns/network_attachment.hpp"

#include <unistd.h>

#include "common/error.hpp"
#include "common/files.hpp"
#include "netns/cni_bridge.hpp"
#include "netns/network_helpers.hpp"
#include "netns/pasta.hpp"
#include "netns/slirp4netns.hpp"
#include "netns/tun_device.hpp"

namespace berth::netns {
namespace {

bool uses_helper(const NetworkMode& mode) {
    return mode.kind == NetworkKind::slirp4netns || mode.kind == NetworkKind::pasta;
}

std::string state_file(const AttachRequest& request, const std::string& suffix) {
    return request.state_dir + "/" + request.container_id.substr(0, 12) + suffix;
}

}  // namespace

std::string helper_binary(NetworkKind kind) {
    std::string name(kind_name(kind));
    for (const auto& helper : find_network_helpers())
        if (helper.name == name && helper.path) return *helper.path;
    throw Error("could not find " + name + ", the network helper of --network " + name + ": install " +
                (kind == NetworkKind::pasta ? "passt" : name));
}

std::vector<UniqueFd> prepare_network(const AttachRequest& request) {
    if (uses_helper(request.mode)) {
        helper_binary(request.mode.kind);
        if (::geteuid() != 0) check_tun_device(kind_name(request.mode.kind));
    }
    auto reserved = reserve_host_ports(request.ports);
    // A helper binds the ports itself, so they are only checked: were they held here, the container's process
    // (forked before the helper starts) would hold them too until its execve.
    if (uses_helper(request.mode)) reserved.clear();
    return reserved;
}

NetworkAttachment::NetworkAttachment(const AttachRequest& request, pid_t pid, std::vector<UniqueFd> reserved)
    : reserved_(std::move(reserved)) {
    if (uses_helper(request.mode)) make_directories(request.state_dir, 0700);
    switch (request.mode.kind) {
        case NetworkKind::slirp4netns: {
            SlirpRequest slirp{
                helper_binary(request.mode.kind),       pid, &request.mode, request.ports, state_file(request, ".sock"),
                state_file(request, "-slirp4netns.log")};
            ::unlink(slirp.log_path.c_str());
            slirp_ = std::make_unique<Slirp4netns>(slirp);
            break;
        }
        case NetworkKind::pasta: {
            PastaRequest pasta{helper_binary(request.mode.kind), pid, &request.mode, request.ports,
                               state_file(request, "-pasta.log")};
            ::unlink(pasta.log_path.c_str());
            pasta_ = std::make_unique<Pasta>(pasta);
            break;
        }
        case NetworkKind::bridge:
            cni_ = std::make_unique<CniAttachment>(request.mode.bridge_name, request.container_id, pid, request.ports);
            break;
        case NetworkKind::none:
        case NetworkKind::host: break;
    }
}

NetworkAttachment::~NetworkAttachment() = default;

std::string NetworkAttachment::bridge_address() const { return cni_ ? cni_->address() : std::string(); }

}  // namespace berth::netns
