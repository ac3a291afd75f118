// Which containers use a volume (their records list it), and the removal of volumes that containers leave.
#pragma once

#include <string>
#include <vector>

#include "volumes/volume_store.hpp"

namespace berth::volumes {

// The ids of the containers whose records list the volume, oldest first. Call it under the containers' lock
// when the answer decides a removal.
std::vector<std::string> containers_using(const std::string& graph_root, const std::string& name);

// Podman's Error (exit 2) for a volume that containers use:
// "volume NAME is being used by the following container(s): ID[, ID]: volume is being used".
[[noreturn]] void throw_volume_in_use(const std::string& name, const std::vector<std::string>& containers);

// Removes the anonymous volumes among `names` that no container uses any more (rm -v, --rm): a failure is a
// warning, as the container is gone already. Holds the containers' lock meanwhile.
void remove_anonymous_volumes(const std::string& graph_root, const std::vector<std::string>& names,
                              const VolumeStore::RemoveFiles& remove_files);

}  // namespace berth::volumes
