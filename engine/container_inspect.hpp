// Podman-shaped `container inspect` documents.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "storage/container_store.hpp"

namespace berth::engine {

// RFC 3339 with nanoseconds in UTC, as Podman prints times ("2026-11-23T08:18:42.123456789Z"); the zero time
// ("0001-01-01T00:00:00Z") for 0.
std::string format_time_ns(int64_t unix_ns);

// Id, Created, Path, Args, State, Image, ImageName, Name, Driver, Mounts, Config, HostConfig, OCIConfigPath,
// and berth's own OCISpec (the container's config.json). `record` should be reconciled first.
nlohmann::json inspect_container(const std::string& graph_root, const storage::ContainerRecord& record);

}  // namespace berth::engine
