#include "volumes/volume_users.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/log.hpp"
#include "storage/container_store.hpp"

namespace berth::volumes {

std::vector<std::string> containers_using(const std::string& graph_root, const std::string& name) {
    std::vector<std::string> ids;
    for (const auto& record : storage::ContainerStore(graph_root).list())
        if (std::find(record.volumes.begin(), record.volumes.end(), name) != record.volumes.end())
            ids.push_back(record.id);
    return ids;
}

void throw_volume_in_use(const std::string& name, const std::vector<std::string>& containers) {
    std::string list;
    for (const auto& id : containers) list += (list.empty() ? "" : ", ") + id;
    throw Error("volume " + name + " is being used by the following container(s): " + list + ": volume is being used",
                2);
}

void remove_anonymous_volumes(const std::string& graph_root, const std::vector<std::string>& names,
                              const VolumeStore::RemoveFiles& remove_files) {
    if (names.empty()) return;
    auto containers_lock = storage::ContainerStore(graph_root).lock_exclusive();
    VolumeStore store(graph_root, remove_files);
    for (const auto& name : names) {
        try {
            auto record = store.find(name);
            if (!record || !record->anonymous || !containers_using(graph_root, name).empty()) continue;
            store.remove(name);
        } catch (const std::exception& error) {
            log_warning("remove anonymous volume " + name + ": " + error.what());
        }
    }
}

}  // namespace berth::volumes
