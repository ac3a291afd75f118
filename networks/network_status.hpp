// What a running container got on its user-defined networks (address, gateway, MAC, aliases), kept in
// userdata/network-status.json from netavark's setup to its teardown, and the NetworkSettings.Networks of inspect
// in Podman's field names.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "storage/container_store.hpp"

namespace berth::networks {

// Records one network's entry ({"IPAddress": ..., "IPPrefixLen": ..., "Gateway": ..., "MacAddress": ...}).
void record_network_status(const std::string& graph_root, const std::string& container_id, const std::string& network,
                           const nlohmann::json& entry);
void forget_network_status(const std::string& graph_root, const std::string& container_id,
                           const std::string& network) noexcept;

// Podman's entry for a network from netavark's setup result ("" and 0 for what it does not say).
nlohmann::json status_entry(const nlohmann::json& setup_result, const std::string& network,
                            const std::vector<std::string>& aliases);

// inspect's NetworkSettings.Networks: every user-defined network of the container (created on and connected), with
// what it got there while it runs; nothing (null) when it is on none.
nlohmann::json networks_settings(const std::string& graph_root, const storage::ContainerRecord& record);

}  // namespace berth::networks
