// `berth load`: images from a docker-archive or oci-archive tar stream (gzip, zstd, xz or bzip2 compressed or not)
// into the store.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace berth::transport {

struct LoadRequest {
    std::string graph_root;
    int fd = -1;            // the archive
    std::string directory;  // instead: an OCI layout (oci-dir) or dir: transport (docker-dir) directory
    std::string where;      // names it in errors
    bool rootless = false;  // unpacking inside the user namespace
    std::function<void(const std::string&)> report;  // progress lines (may be null)
};

// Loads every image of the archive and returns what each was loaded as: its names (docker-archive's RepoTags, the
// OCI index's org.opencontainers.image.ref.name), normalized, else its id "sha256:...".
//
// An archive is first extracted to a temporary directory under $TMPDIR or /var/tmp, member by member: a member
// whose name is absolute or climbs out with ".." is refused ("hostile archive: ..."), and so is a manifest.json or
// symbolic link that names something outside the archive; nothing has touched the store by then. Then each layer is
// unpacked through storage's unpacker (which keeps every path inside the layer), checked against the config's
// diff ids (and, for an OCI layout, every blob against its digest), and the image recorded. When an image fails,
// the layers and blobs this load added that no image uses are removed again.
std::vector<std::string> load_images(const LoadRequest& request);

}  // namespace berth::transport
