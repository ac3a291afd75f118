#include "networks/connections.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/files.hpp"
#include "storage/container_store.hpp"

namespace berth::networks {
namespace {

std::string connections_path(const std::string& graph_root, const std::string& container_id) {
    return storage::ContainerStore(graph_root).paths_of(container_id).userdata + "/networks.json";
}

}  // namespace

std::vector<std::string> read_connections(const std::string& graph_root, const std::string& container_id) {
    std::string path = connections_path(graph_root, container_id);
    auto text = read_file_if_exists(path);
    if (!text) return {};
    auto document = nlohmann::json::parse(*text, nullptr, false);
    if (!document.is_object() || !document.contains("connected") || !document["connected"].is_array())
        throw Error(path + ": not a list of connected networks");
    return document["connected"].get<std::vector<std::string>>();
}

void write_connections(const std::string& graph_root, const std::string& container_id,
                       const std::vector<std::string>& endpoints) {
    write_file_atomic(connections_path(graph_root, container_id),
                      nlohmann::json{{"connected", endpoints}}.dump() + "\n", 0600);
}

}  // namespace berth::networks
