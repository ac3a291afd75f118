#include "networks/network_users.hpp"

#include "common/error.hpp"
#include "networks/connections.hpp"
#include "storage/container_store.hpp"

namespace berth::networks {

std::string network_name_of(const std::string& mode_text) { return mode_text.substr(0, mode_text.find(':')); }

bool connected_to(const std::string& graph_root, const storage::ContainerRecord& record, const std::string& name) {
    if (network_name_of(record.network) == name) return true;
    try {
        for (const auto& endpoint : read_connections(graph_root, record.id))
            if (network_name_of(endpoint) == name) return true;
    } catch (const Error&) {
    }
    return false;
}

std::vector<std::string> containers_using(const std::string& graph_root, const std::string& name) {
    std::vector<std::string> ids;
    for (const auto& record : storage::ContainerStore(graph_root).list())
        if (connected_to(graph_root, record, name)) ids.push_back(record.id);
    return ids;
}

void throw_network_in_use(const std::string& name) {
    throw Error("\"" + name +
                    "\" has associated containers with it. Use -f to forcibly delete containers and pods: network is "
                    "being used",
                2);
}

}  // namespace berth::networks
