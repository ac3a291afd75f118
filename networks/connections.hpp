// The networks `network connect` added to a container, besides the one it was created on (its record's network
// mode): their endpoints ("NAME:alias=...,interface_name=eth1") in userdata/networks.json, which goes with the
// container. The monitor attaches them at each start; connect and disconnect also change a running container.
#pragma once

#include <string>
#include <vector>

namespace berth::networks {

std::vector<std::string> read_connections(const std::string& graph_root, const std::string& container_id);
void write_connections(const std::string& graph_root, const std::string& container_id,
                       const std::vector<std::string>& endpoints);

}  // namespace berth::networks
