#include "networks/network_status.hpp"

#include "common/files.hpp"
#include "netns/network_mode.hpp"
#include "networks/connections.hpp"
#include "networks/netavark.hpp"

namespace berth::networks {
namespace {

std::string status_path(const std::string& graph_root, const std::string& container_id) {
    return storage::ContainerStore(graph_root).paths_of(container_id).userdata + "/network-status.json";
}

nlohmann::json read_status(const std::string& path) {
    auto document = nlohmann::json::parse(read_file_if_exists(path).value_or("{}"), nullptr, false);
    return document.is_object() ? document : nlohmann::json::object();
}

nlohmann::json empty_entry(const NetworkEndpoint& endpoint) {
    return {{"EndpointID", ""},           {"Gateway", ""},         {"IPAddress", ""},
            {"IPPrefixLen", 0},           {"IPv6Gateway", ""},     {"GlobalIPv6Address", ""},
            {"GlobalIPv6PrefixLen", 0},   {"MacAddress", ""},      {"NetworkID", endpoint.network},
            {"DriverOpts", nullptr},      {"IPAMConfig", nullptr}, {"Links", nullptr},
            {"Aliases", endpoint.aliases}};
}

}  // namespace

void record_network_status(const std::string& graph_root, const std::string& container_id, const std::string& network,
                           const nlohmann::json& entry) {
    std::string path = status_path(graph_root, container_id);
    auto status = read_status(path);
    status[network] = entry;
    write_file_atomic(path, status.dump() + "\n", 0644, Durability::atomic);
}

void forget_network_status(const std::string& graph_root, const std::string& container_id,
                           const std::string& network) noexcept {
    try {
        std::string path = status_path(graph_root, container_id);
        if (!path_exists(path)) return;
        auto status = read_status(path);
        status.erase(network);
        write_file_atomic(path, status.dump() + "\n", 0644, Durability::atomic);
    } catch (const std::exception&) {
    }
}

nlohmann::json status_entry(const nlohmann::json& setup_result, const std::string& network,
                            const std::vector<std::string>& aliases) {
    nlohmann::json entry = {{"IPAddress", ""},   {"IPPrefixLen", 0},        {"Gateway", ""},
                            {"IPv6Gateway", ""}, {"GlobalIPv6Address", ""}, {"GlobalIPv6PrefixLen", 0},
                            {"MacAddress", ""},  {"Aliases", aliases}};
    if (!setup_result.is_object() || !setup_result.contains(network)) return entry;
    const auto& interfaces = setup_result[network].value("interfaces", nlohmann::json::object());
    for (const auto& [name, interface] : interfaces.items()) {
        entry["MacAddress"] = interface.value("mac_address", "");
        for (const auto& subnet : interface.value("subnets", nlohmann::json::array())) {
            std::string ipnet = subnet.value("ipnet", "");
            auto slash = ipnet.find('/');
            if (slash == std::string::npos) continue;
            bool v6 = ipnet.find(':') != std::string::npos;
            int prefix = std::stoi(ipnet.substr(slash + 1));
            entry[v6 ? "GlobalIPv6Address" : "IPAddress"] = ipnet.substr(0, slash);
            entry[v6 ? "GlobalIPv6PrefixLen" : "IPPrefixLen"] = prefix;
            entry[v6 ? "IPv6Gateway" : "Gateway"] = subnet.value("gateway", "");
        }
    }
    return entry;
}

nlohmann::json networks_settings(const std::string& graph_root, const storage::ContainerRecord& record) {
    std::vector<std::string> endpoints;
    if (!record.network.empty()) {
        auto name = record.network.substr(0, record.network.find(':'));
        if (name != "none" && name != "host" && name != "slirp4netns" && name != "pasta" && name != "bridge" &&
            name != netns::default_bridge_name && name != netns::podman_default_name)
            endpoints.push_back(record.network);
    }
    try {
        for (const auto& text : read_connections(graph_root, record.id)) endpoints.push_back(text);
    } catch (const std::exception&) {
    }
    if (endpoints.empty()) return nullptr;
    auto status = read_status(status_path(graph_root, record.id));
    nlohmann::json networks = nlohmann::json::object();
    for (const auto& text : endpoints) {
        auto endpoint = parse_endpoint(text);
        auto entry = empty_entry(endpoint);
        if (status.contains(endpoint.network))
            for (const auto& [key, value] : status[endpoint.network].items()) entry[key] = value;
        networks[endpoint.network] = entry;
    }
    return networks;
}

}  // namespace berth::networks
