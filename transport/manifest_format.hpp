// The manifest formats `berth push --format` writes, and the conversion of a stored manifest into one of them.
#pragma once

#include <string>
#include <string_view>

namespace berth::transport {

enum class ManifestFormat {
    keep,         // the format the image was stored in
    oci,          // application/vnd.oci.image.manifest.v1+json
    docker_v2s2,  // application/vnd.docker.distribution.manifest.v2+json
};

// "oci" or "v2s2" (empty: keep). Throws Error with Podman's message for anything else ("v2s1" included: schema 1 is
// not written).
ManifestFormat parse_manifest_format(std::string_view text);

struct FormattedManifest {
    std::string media_type;
    std::string body;
};

// The manifest to push for a stored one: its very bytes when the format is kept or already the one asked for (so the
// digest stays the same), else a new body with the media types of the format for the manifest, the config and each
// layer (gzip layers only for Docker's format). Throws Error naming the layer type that has no equivalent, such as
// zstd or uncompressed layers in v2s2.
FormattedManifest format_manifest(const std::string& body, const std::string& media_type, ManifestFormat format);

}  // namespace berth::transport
