// JSON documents printed as YAML, the default output of `berth info` (as Podman's).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::cli {

std::string to_yaml(const nlohmann::json& document);

}  // namespace berth::cli
