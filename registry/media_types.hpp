// Media types of the OCI image spec and of Docker's image formats, as registries name them.
#pragma once

#include <array>
#include <string_view>

namespace berth::registry::media_type {

// OCI image spec.
inline constexpr std::string_view oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_config = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view oci_layer_tar = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view oci_layer_gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view oci_layer_zstd = "application/vnd.oci.image.layer.v1.tar+zstd";
inline constexpr std::string_view oci_empty = "application/vnd.oci.empty.v1+json";

// Docker image manifest v2, schema 2.
inline constexpr std::string_view docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_manifest_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_config = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_layer_gzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";
inline constexpr std::string_view docker_foreign_layer_gzip =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// Docker image manifest v2, schema 1 (deprecated; read only).
inline constexpr std::string_view docker_schema1_manifest = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view docker_schema1_signed_manifest =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// Every manifest and index type berth understands, most preferred first: a good Accept list for a pull.
inline constexpr std::array<std::string_view, 6> manifest_types = {
    oci_index,       docker_manifest_list,           oci_manifest,
    docker_manifest, docker_schema1_signed_manifest, docker_schema1_manifest,
};

// Whether the type names a list of manifests for several platforms.
constexpr bool is_index(std::string_view type) { return type == oci_index || type == docker_manifest_list; }

// Whether the type names a single-image manifest (OCI, Docker schema 2 or schema 1).
constexpr bool is_image_manifest(std::string_view type) {
    return type == oci_manifest || type == docker_manifest || type == docker_schema1_manifest ||
           type == docker_schema1_signed_manifest;
}

// Whether the type names a Docker schema 1 manifest, signed or not.
constexpr bool is_schema1(std::string_view type) {
    return type == docker_schema1_manifest || type == docker_schema1_signed_manifest;
}

// Whether the type names a layer in a format berth can unpack.
constexpr bool is_layer(std::string_view type) {
    return type == oci_layer_tar || type == oci_layer_gzip || type == oci_layer_zstd || type == docker_layer_gzip ||
           type == docker_foreign_layer_gzip;
}

}  // namespace berth::registry::media_type
