#include "transport/archive_manifest.hpp"

#include <gtest/gtest.h>

#include "tests/unit/error_of.hpp"

namespace berth::transport {
namespace {

using testing_support::error_of;

const std::string digest_a = "sha256:" + std::string(64, 'a');

TEST(DockerArchiveManifest, ReadsConfigTagsAndLayers) {
    auto entries = parse_docker_archive_manifest(
        R"([{"Config":"abc.json","RepoTags":["busybox:latest","x/y:1"],"Layers":["./l1/layer.tar","l2.tar"]},
            {"Config":"def.json","RepoTags":null,"Layers":[]}])");
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].config, "abc.json");
    EXPECT_EQ(entries[0].repo_tags, (std::vector<std::string>{"busybox:latest", "x/y:1"}));
    EXPECT_EQ(entries[0].layers, (std::vector<std::string>{"l1/layer.tar", "l2.tar"}));
    EXPECT_TRUE(entries[1].repo_tags.empty());
}

TEST(DockerArchiveManifest, WrittenManifestReadsBack) {
    std::vector<DockerArchiveEntry> entries{{"c.json", {"docker.io/library/busybox:latest"}, {"a.tar", "b.tar"}}};
    auto read = parse_docker_archive_manifest(docker_archive_manifest(entries));
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0].config, "c.json");
    EXPECT_EQ(read[0].repo_tags, entries[0].repo_tags);
    EXPECT_EQ(read[0].layers, entries[0].layers);
}

TEST(DockerArchiveManifest, NamesOutsideTheArchiveAreHostile) {
    EXPECT_EQ(error_of([] { parse_docker_archive_manifest(R"([{"Config":"../../etc/passwd","Layers":[]}])"); }),
              "hostile archive: manifest.json names \"../../etc/passwd\", which is outside the archive");
    EXPECT_EQ(error_of([] { parse_docker_archive_manifest(R"([{"Config":"c.json","Layers":["/etc/shadow"]}])"); }),
              "hostile archive: manifest.json names \"/etc/shadow\", which is outside the archive");
}

TEST(DockerArchiveManifest, MalformedManifestsFail) {
    EXPECT_EQ(error_of([] { parse_docker_archive_manifest("{"); }), "manifest.json: not valid JSON");
    EXPECT_EQ(error_of([] { parse_docker_archive_manifest("{}"); }), "manifest.json: not an array of images");
    EXPECT_EQ(error_of([] { parse_docker_archive_manifest("[]"); }), "manifest.json: no images");
    EXPECT_EQ(error_of([] { parse_docker_archive_manifest(R"([{"Config":"c.json"}])"); }),
              "manifest.json: an image without \"Config\" and \"Layers\"");
}

TEST(OciIndex, ReadsManifestsAndRefNames) {
    auto entries = parse_oci_index(R"({"schemaVersion":2,"manifests":[{"mediaType":
        "application/vnd.oci.image.manifest.v1+json","digest":")" +
                                   digest_a + R"(","size":12,"annotations":
        {"org.opencontainers.image.ref.name":"busybox:latest"}}]})");
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].digest, digest_a);
    EXPECT_EQ(entries[0].size, 12);
    EXPECT_EQ(entries[0].ref_name, "busybox:latest");
}

TEST(OciIndex, WrittenIndexReadsBack) {
    std::vector<OciIndexEntry> entries{{"application/vnd.oci.image.manifest.v1+json", digest_a, 7, "x:1"}};
    auto read = parse_oci_index(oci_index(entries));
    ASSERT_EQ(read.size(), 1u);
    EXPECT_EQ(read[0].media_type, entries[0].media_type);
    EXPECT_EQ(read[0].ref_name, "x:1");
}

TEST(OciIndex, BadDigestsAndShapesFail) {
    EXPECT_EQ(
        error_of([] { parse_oci_index(R"({"manifests":[{"mediaType":"m","digest":"sha256:../../x","size":1}]})"); }),
        "index.json: unsupported or malformed digest \"sha256:../../x\"");
    EXPECT_EQ(error_of([] { parse_oci_index(R"({"schemaVersion":2})"); }),
              "index.json: not an image index (no \"manifests\" array)");
    EXPECT_EQ(error_of([] { oci_blob_member("md5:abc"); }), "unsupported or malformed digest \"md5:abc\"");
    EXPECT_EQ(oci_blob_member(digest_a), "blobs/sha256/" + std::string(64, 'a'));
}

TEST(ArchiveMemberName, PlainNamesInsideOnly) {
    EXPECT_EQ(archive_member_name("./a//b/./c"), "a/b/c");
    EXPECT_EQ(archive_member_name("a/../b"), "b");
    EXPECT_EQ(archive_member_name("../x"), std::nullopt);
    EXPECT_EQ(archive_member_name("a/../../x"), std::nullopt);
    EXPECT_EQ(archive_member_name("/etc/passwd"), std::nullopt);
    EXPECT_EQ(archive_member_name("."), std::nullopt);
    EXPECT_EQ(resolve_member_link("d/layer.tar", "../e/layer.tar"), "e/layer.tar");
    EXPECT_EQ(resolve_member_link("d/layer.tar", "../../etc/passwd"), std::nullopt);
    EXPECT_EQ(resolve_member_link("d/layer.tar", "/etc/passwd"), std::nullopt);
}

}  // namespace
}  // namespace berth::transport
