// Which containers use a network: their records name it in their network mode ("NAME" or "NAME:ip=...").
#pragma once

#include <string>
#include <vector>

#include "storage/container_store.hpp"

namespace berth::networks {

// The network's name in a container's network mode text ("web" of "web:ip=10.89.0.5,alias=db").
std::string network_name_of(const std::string& mode_text);

// Whether the container is on the network: created on it or connected to it.
bool connected_to(const std::string& graph_root, const storage::ContainerRecord& record, const std::string& name);

// The ids of the containers on the network, oldest first. Call it under the containers' lock when the answer
// decides a removal.
std::vector<std::string> containers_using(const std::string& graph_root, const std::string& name);

// Podman's Error (exit 2) for a network that containers use.
[[noreturn]] void throw_network_in_use(const std::string& name);

}  // namespace berth::networks
