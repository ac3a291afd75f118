// Image manifests and indexes (OCI and Docker schema 2): parsing, and choosing a platform.
//
// OCI manifests, indexes and configs must conform to the OCI image spec's JSON schemas (engine/image_schema.hpp),
// checked before anything else; Docker schema 2 documents are checked structurally only, as containers/image does.
// Each parser takes the document's media type (a registry's Content-Type, or a descriptor's mediaType) and checks
// against the schema when it is the OCI one; without a media type it tells from the document where it can (see each).
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

// Parses an image manifest; `where` names it in errors ("manifest sha256:... of REF"). Without a media type, a manifest
// is Docker's when its "mediaType" says so (or, having none, when its config's does), else OCI's.
ImageManifest parse_image_manifest(std::string_view body, const std::string& where, std::string_view media_type = {});

// The entries of an OCI index or Docker manifest list. Without a media type, an index is a Docker manifest list when
// its "mediaType" says so, else an OCI index.
std::vector<Descriptor> parse_index(std::string_view body, const std::string& where, std::string_view media_type = {});

// "os/arch[/variant]", e.g. "linux/arm64/v8"; throws Error on anything else.
Platform parse_platform(std::string_view text);

// The index entry for a platform (os and architecture equal; the variant too when asked for,
// arm64's "v8" being the same as none); throws Error listing what the index offers otherwise. Entries that are not
// manifests or indexes are ignored, as the image spec asks; an index of nothing else is an error that names their
// media types.
Descriptor select_platform(const std::vector<Descriptor>& entries, const Platform& wanted, const std::string& where);

// The diff ids (rootfs.diff_ids) and creation time of an image config. Its media type is the manifest's
// config.mediaType: only an OCI config (application/vnd.oci.image.config.v1+json) is checked against the schema, and
// without a media type nothing says which it is (a Docker config looks much the same), so the check needs one.
struct ImageConfigSummary {
    std::vector<std::string> diff_ids;
    std::string created;
    std::string architecture;
    std::string os;
};
ImageConfigSummary parse_image_config(std::string_view body, const std::string& where,
                                      std::string_view media_type = {});

}  // namespace berth::engine
