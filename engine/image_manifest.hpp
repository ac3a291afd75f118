// Image manifests and indexes (OCI and Docker schema 2): parsing, and choosing a platform.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/platform.hpp"

namespace berth::engine {

struct Descriptor {
    std::string media_type;
    std::string digest;
    uint64_t size = 0;
    std::optional<Platform> platform;  // in an index
};

struct ImageManifest {
    Descriptor config;
    std::vector<Descriptor> layers;
};

// Parses an image manifest; `where` names it in errors ("manifest sha256:... of REF").
ImageManifest parse_image_manifest(std::string_view body, const std::string& where);

// The entries of an OCI index or Docker manifest list.
std::vector<Descriptor> parse_index(std::string_view body, const std::string& where);

// "os/arch[/variant]", e.g. "linux/arm64/v8"; throws Error on anything else.
Platform parse_platform(std::string_view text);

// The index entry for a platform (os and architecture equal; the variant too when asked for,
// arm64's "v8" being the same as none); throws Error listing what the index offers otherwise.
Descriptor select_platform(const std::vector<Descriptor>& entries, const Platform& wanted, const std::string& where);

// The diff ids (rootfs.diff_ids) and creation time of an image config.
struct ImageConfigSummary {
    std::vector<std::string> diff_ids;
    std::string created;
    std::string architecture;
    std::string os;
};
ImageConfigSummary parse_image_config(std::string_view body, const std::string& where);

}  // namespace berth::engine
