#include "registry/manifest_format.hpp"

#include <gtest/gtest.h>

#include <string>

#include "registry/media_types.hpp"

namespace berth::registry {
namespace {

const std::string oci_manifest(media_type::oci_manifest);
const std::string oci_index(media_type::oci_index);
const std::string docker_manifest(media_type::docker_manifest);
const std::string docker_list(media_type::docker_manifest_list);

const std::string image_body = R"({"schemaVersion":2,"config":{},"layers":[]})";
const std::string index_body = R"({"schemaVersion":2,"manifests":[]})";

std::string with_type(const std::string& type, const std::string& rest) {
    return R"({"schemaVersion":2,"mediaType":")" + type + R"(",)" + rest + "}";
}

TEST(ManifestFormat, UnambiguousDocumentsPass) {
    EXPECT_EQ(manifest_ambiguity(oci_manifest, image_body), "");
    EXPECT_EQ(manifest_ambiguity(oci_index, index_body), "");
    EXPECT_EQ(manifest_ambiguity(oci_manifest, with_type(oci_manifest, R"("config":{},"layers":[])")), "");
    EXPECT_EQ(manifest_ambiguity(docker_list, with_type(docker_list, R"("manifests":[])")), "");
    EXPECT_EQ(manifest_ambiguity("application/json", with_type(docker_manifest, R"("config":{},"layers":[])")), "");
    EXPECT_EQ(manifest_ambiguity("", image_body), "");
    // An artifact manifest type berth does not know: only a contradiction counts.
    EXPECT_EQ(manifest_ambiguity("application/vnd.example+json", R"({"layers":[]})"), "");
}

TEST(ManifestFormat, LayersAndManifestsTogetherAreAmbiguous) {
    std::string both = R"({"schemaVersion":2,"config":{},"layers":[],"manifests":[]})";
    for (const std::string& type : {oci_manifest, oci_index, std::string("application/json"), std::string()})
        EXPECT_EQ(manifest_ambiguity(type, both), "it has both \"layers\" and \"manifests\"") << type;
}

TEST(ManifestFormat, MediaTypeFieldMustAgreeWithTheContentType) {
    EXPECT_EQ(manifest_ambiguity(oci_manifest, with_type(oci_index, R"("manifests":[])")),
              "its mediaType \"" + oci_index + "\" contradicts the Content-Type \"" + oci_manifest + "\"");
    EXPECT_EQ(manifest_ambiguity(oci_manifest, with_type(docker_manifest, R"("config":{},"layers":[])")),
              "its mediaType \"" + docker_manifest + "\" contradicts the Content-Type \"" + oci_manifest + "\"");
    // Case does not make a difference.
    EXPECT_EQ(
        manifest_ambiguity(oci_manifest, with_type("Application/VND.oci.image.manifest.v1+json", "\"layers\":[]")), "");
}

TEST(ManifestFormat, ContentOfTheOtherKindIsAmbiguous) {
    EXPECT_EQ(manifest_ambiguity(oci_index, R"({"schemaVersion":2,"layers":[]})"),
              "it is an index (" + oci_index + ") but has \"layers\"");
    EXPECT_EQ(manifest_ambiguity(docker_list, R"({"schemaVersion":2,"config":{}})"),
              "it is an index (" + docker_list + ") but has \"config\"");
    EXPECT_EQ(manifest_ambiguity(oci_manifest, index_body),
              "it is an image manifest (" + oci_manifest + ") but has \"manifests\"");
    // Without a useful Content-Type, the body's own mediaType says what it is.
    EXPECT_EQ(manifest_ambiguity("text/plain", with_type(oci_index, R"("config":{})")),
              "it is an index (" + oci_index + ") but has \"config\"");
}

TEST(ManifestFormat, WhatIsNotAJsonObjectIsLeftToTheParser) {
    EXPECT_EQ(manifest_ambiguity(oci_manifest, "{not json"), "");
    EXPECT_EQ(manifest_ambiguity(oci_manifest, "[1,2]"), "");
}

TEST(ManifestFormat, GenericContentTypes) {
    for (const char* type : {"", "application/json", "text/plain", "application/octet-stream", "binary/octet-stream"})
        EXPECT_TRUE(is_generic_content_type(type)) << type;
    EXPECT_FALSE(is_generic_content_type(oci_manifest));
}

}  // namespace
}  // namespace berth::registry
