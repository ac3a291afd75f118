#include "transport/manifest_format.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "registry/media_types.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::transport {
namespace {

namespace media_type = registry::media_type;
using testing_support::error_of;

const std::string config_digest = "sha256:" + std::string(64, 'c');
const std::string layer_digest = "sha256:" + std::string(64, 'l');

std::string oci_manifest(const std::string& layer_type = std::string(media_type::oci_layer_gzip)) {
    return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":)"
           R"("application/vnd.oci.image.config.v1+json","digest":")" +
           config_digest + R"(","size":361},"layers":[{"mediaType":")" + layer_type + R"(","digest":")" + layer_digest +
           R"(","size":1036237}],"annotations":{"a":"b"}})";
}

TEST(ManifestFormat, ParsesPodmansNames) {
    EXPECT_EQ(parse_manifest_format(""), ManifestFormat::keep);
    EXPECT_EQ(parse_manifest_format("oci"), ManifestFormat::oci);
    EXPECT_EQ(parse_manifest_format("v2s2"), ManifestFormat::docker_v2s2);
    EXPECT_EQ(error_of([] { parse_manifest_format("bogus"); }),
              "unknown format \"bogus\". Choose on of the supported formats: 'oci', 'v2s1', or 'v2s2'");
}

TEST(ManifestFormat, TheStoredBytesAreKeptWhenTheFormatIsTheSame) {
    std::string body = oci_manifest();
    for (auto format : {ManifestFormat::keep, ManifestFormat::oci}) {
        auto formatted = format_manifest(body, std::string(media_type::oci_manifest), format);
        EXPECT_EQ(formatted.body, body);
        EXPECT_EQ(formatted.media_type, media_type::oci_manifest);
    }
}

TEST(ManifestFormat, OciBecomesDockerV2s2AsContainersImageWritesIt) {
    auto formatted =
        format_manifest(oci_manifest(), std::string(media_type::oci_manifest), ManifestFormat::docker_v2s2);
    EXPECT_EQ(formatted.media_type, media_type::docker_manifest);
    EXPECT_EQ(formatted.body,
              R"({"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":)"
              R"({"mediaType":"application/vnd.docker.container.image.v1+json","size":361,"digest":")" +
                  config_digest +
                  R"("},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":1036237,)"
                  R"("digest":")" +
                  layer_digest + R"("}]})");
}

TEST(ManifestFormat, DockerV2s2BecomesOci) {
    auto docker = format_manifest(oci_manifest(), std::string(media_type::oci_manifest), ManifestFormat::docker_v2s2);
    auto back = format_manifest(docker.body, docker.media_type, ManifestFormat::oci);
    EXPECT_EQ(back.media_type, media_type::oci_manifest);
    auto json = nlohmann::json::parse(back.body);
    EXPECT_EQ(json["config"]["mediaType"], media_type::oci_config);
    EXPECT_EQ(json["layers"][0]["mediaType"], media_type::oci_layer_gzip);
    EXPECT_EQ(json["layers"][0]["digest"], layer_digest);
}

TEST(ManifestFormat, LayersWithoutADockerEquivalentFail) {
    EXPECT_EQ(error_of([] {
                  format_manifest(oci_manifest(std::string(media_type::oci_layer_zstd)),
                                  std::string(media_type::oci_manifest), ManifestFormat::docker_v2s2);
              }),
              "layers of type application/vnd.oci.image.layer.v1.tar+zstd cannot be written in the v2s2 format (it "
              "has gzip layers only)");
}

}  // namespace
}  // namespace berth::transport
