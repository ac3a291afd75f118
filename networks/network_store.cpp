#include "networks/network_store.hpp"

#include <unistd.h>

#include <algorithm>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"

namespace berth::networks {
namespace {

constexpr std::string_view suffix = ".json";

bool is_definition(const std::string& entry) {
    return entry.size() > suffix.size() && entry.compare(entry.size() - suffix.size(), suffix.size(), suffix) == 0 &&
           entry.front() != '.';
}

}  // namespace

void throw_no_such_network(const std::string& name_or_id) {
    throw Error("unable to find network with name or ID " + name_or_id + ": network not found", 1);
}

NetworkStore::NetworkStore(const std::string& graph_root) : directory_(graph_root + "/networks") {}

FileLock NetworkStore::lock_exclusive() const {
    make_directories(directory_, 0700);
    return FileLock::exclusive(directory_ + "/netavark.lock");
}

std::vector<Network> NetworkStore::read_all() const {
    std::vector<Network> networks;
    if (!path_exists(directory_)) return networks;
    for (const auto& entry : list_directory(directory_)) {
        if (!is_definition(entry)) continue;
        std::string path = directory_ + "/" + entry;
        try {
            auto text = read_file_if_exists(path);
            if (!text) continue;
            auto document = nlohmann::json::parse(*text, nullptr, false);
            if (document.is_discarded()) throw Error(path + ": not JSON");
            auto network = network_from_json(document, path);
            if (network.name == default_network_name) continue;
            networks.push_back(std::move(network));
        } catch (const Error& error) {
            log_warning(std::string("skipping network definition: ") + error.what());
        }
    }
    return networks;
}

std::vector<Network> NetworkStore::list() const {
    auto networks = read_all();
    networks.push_back(default_network());
    std::sort(networks.begin(), networks.end(), [](const Network& a, const Network& b) { return a.name < b.name; });
    return networks;
}

std::optional<Network> NetworkStore::find(const std::string& name_or_id) const {
    if (name_or_id.empty()) return std::nullopt;
    auto networks = list();
    for (const auto& network : networks)
        if (network.name == name_or_id || network.id == name_or_id) return network;
    std::optional<Network> match;
    for (const auto& network : networks)
        if (network.id.compare(0, name_or_id.size(), name_or_id) == 0) {
            if (match) throw Error("more than one result for network ID " + name_or_id + ": network not found", 1);
            match = network;
        }
    return match;
}

Network NetworkStore::get(const std::string& name_or_id) const {
    auto network = find(name_or_id);
    if (!network) throw_no_such_network(name_or_id);
    return *network;
}

Network NetworkStore::create(const CreateRequest& request) {
    auto lock = lock_exclusive();
    auto network = make_network(request, list(), read_host_networks());
    write_file_atomic(directory_ + "/" + network.name + std::string(suffix), network_to_json(network).dump(5) + "\n",
                      0644);
    return network;
}

void NetworkStore::remove(const std::string& name) {
    auto lock = lock_exclusive();
    auto network = get(name);
    if (network.name == default_network_name) throw Error("default network " + network.name + " cannot be removed");
    std::string path = directory_ + "/" + network.name + std::string(suffix);
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) throw_last_errno("remove network definition " + path);
}

}  // namespace berth::networks
