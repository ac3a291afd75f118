// The table of contents of image archives: Docker's manifest.json (docker-archive) and the OCI layout's index.json
// (oci-archive), read and written, and the member names they may point to.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::transport {

// One image of a docker-archive's manifest.json: member names of its config and layers (bottom first).
struct DockerArchiveEntry {
    std::string config;
    std::vector<std::string> repo_tags;
    std::vector<std::string> layers;
};

// Parses manifest.json. Throws Error("manifest.json: ...") when it is not an array of objects with a string
// "Config" and a "Layers" array of strings, or when a member name it gives is not inside the archive
// ("hostile archive: manifest.json names \"../x\", which is outside the archive").
std::vector<DockerArchiveEntry> parse_docker_archive_manifest(std::string_view body);
std::string docker_archive_manifest(const std::vector<DockerArchiveEntry>& entries);

// One manifest of an OCI layout's index.json.
struct OciIndexEntry {
    std::string media_type;
    std::string digest;
    long long size = 0;
    std::string ref_name;  // the org.opencontainers.image.ref.name annotation; may be empty
};

// Parses index.json. Throws Error("index.json: ...") when it is not an index whose manifests have a media type,
// a sha256 digest and a size.
std::vector<OciIndexEntry> parse_oci_index(std::string_view body);
std::string oci_index(const std::vector<OciIndexEntry>& entries);

// The member that holds a blob in an OCI layout: "blobs/sha256/<hex>"; throws Error for a digest that is not sha256.
std::string oci_blob_member(const std::string& digest);

// A member name made plain: "./a//b" is "a/b". Nothing when it is absolute or climbs above the archive's root
// ("..", "a/../../b"), or is empty.
std::optional<std::string> archive_member_name(std::string_view name);

// `target` of a symbolic link member `link`, resolved against the link's directory; nothing when it leaves the
// archive.
std::optional<std::string> resolve_member_link(std::string_view link, std::string_view target);

}  // namespace berth::transport
