// `berth info`: the host as berth sees it, as one JSON document.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "storage/rootfs_driver.hpp"

namespace berth::engine {

struct InfoRequest {
    std::optional<std::string> root;                      // --root
    std::optional<std::string> runroot;                   // --runroot
    std::optional<storage::RootfsDriver> storage_driver;  // --storage-driver
};

// Collects the report (creating the graph root, as Podman does, to probe its file system).
// Keys follow Podman's `info` where Podman has the same fact: host.{arch,os,kernel,cgroupVersion,
// cgroupManager,cgroupControllers,idMappings,security.rootless,...}, store.{graphDriverName,graphRoot,runRoot},
// version.Version.
nlohmann::json collect_host_info(const InfoRequest& request);

}  // namespace berth::engine
