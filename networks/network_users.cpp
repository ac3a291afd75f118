#include "networks/network_users.hpp"

#include "common/error.hpp"
#include "storage/container_store.hpp"

namespace berth::networks {

std::string network_name_of(const std::string& mode_text) { return mode_text.substr(0, mode_text.find(':')); }

std::vector<std::string> containers_using(const std::string& graph_root, const std::string& name) {
    std::vector<std::string> ids;
    for (const auto& record : storage::ContainerStore(graph_root).list())
        if (network_name_of(record.network) == name) ids.push_back(record.id);
    return ids;
}

void throw_network_in_use(const std::string& name) {
    throw Error("\"" + name +
                    "\" has associated containers with it. Use -f to forcibly delete containers and pods: network is "
                    "being used",
                2);
}

}  // namespace berth::networks
