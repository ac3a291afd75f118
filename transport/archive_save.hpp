// `berth save`: stored images into a docker-archive or oci-archive tar stream.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/image_store.hpp"

namespace berth::transport {

enum class ArchiveFormat { docker_archive, oci_archive, oci_dir, docker_dir };

// "docker-archive", "oci-archive", "oci-dir" or "docker-dir"; throws Error with Podman's message for anything else.
ArchiveFormat parse_archive_format(std::string_view text);

struct SavedImage {
    storage::ImageRecord image;
    std::vector<std::string> names;  // RepoTags (docker-archive) or the ref.name (oci-archive, the first one)
};

struct SaveRequest {
    std::string graph_root;
    ArchiveFormat format = ArchiveFormat::docker_archive;
    std::vector<SavedImage> images;                  // several only for docker-archive
    int fd = -1;                                     // where the tar stream goes
    std::string where;                               // names it in errors
    std::function<void(const std::string&)> report;  // progress lines (may be null)
};

// Writes the archive. docker-archive: manifest.json, repositories, "<config hex>.json" (the stored config, so the
// image id stays) and each layer once as an uncompressed "<diff id hex>.tar" (a compressed stored blob is
// decompressed through a temporary file under $TMPDIR or /var/tmp and checked against its diff id). oci-archive:
// oci-layout, index.json (ref.name annotated) and blobs/sha256/ with the manifest, config and layer blobs as stored
// (a Docker manifest is written as the equivalent OCI one); oci-dir: the same in a directory. docker-dir (the dir:
// transport): manifest.json (the Docker schema 2 equivalent of the stored manifest), version, and the config and
// layer blobs named by their hex digests. Throws Error naming the image and the blob that is
// missing or does not match.
void save_images(const SaveRequest& request);

}  // namespace berth::transport
