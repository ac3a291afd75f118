// The network definitions of a graph root, <graph root>/networks/<name>.json, as Podman 4 keeps them (so either
// program reads the other's), guarded by <graph root>/networks/netavark.lock, the lock Podman takes for them.
// The default network "podman" is never stored: it is always there, as in Podman.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/file_lock.hpp"
#include "networks/network_create.hpp"
#include "networks/network_record.hpp"

namespace berth::networks {

class NetworkStore {
public:
    explicit NetworkStore(const std::string& graph_root);

    const std::string& directory() const { return directory_; }

    // Every network, the default one among them, sorted by name. A definition that cannot be read is skipped
    // with a warning naming it.
    std::vector<Network> list() const;

    // The network with this name, full id or unique id prefix; nothing when there is none.
    std::optional<Network> find(const std::string& name_or_id) const;

    // find(), or Podman's Error (exit 1): "unable to find network with name or ID X: network not found".
    Network get(const std::string& name_or_id) const;

    // Makes and writes a new network (make_network() against the stored ones and the host's).
    Network create(const CreateRequest& request);

    // Removes a stored network; Error (exit 125) for the default one, exit 1 when there is no such network.
    void remove(const std::string& name);

    FileLock lock_exclusive() const;

private:
    std::vector<Network> read_all() const;

    std::string directory_;
};

// Podman's error for a network that does not exist, exit status 1.
[[noreturn]] void throw_no_such_network(const std::string& name_or_id);

}  // namespace berth::networks
