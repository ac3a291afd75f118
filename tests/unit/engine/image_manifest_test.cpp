#include "engine/image_manifest.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "registry/media_types.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::engine {
namespace {

namespace media_type = registry::media_type;
using testing_support::error_of;

const std::string where = "manifest example.com/x:1";

Descriptor entry(std::string_view type, char digit, std::optional<Platform> platform) {
    return {std::string(type), "sha256:" + std::string(64, digit), 100, std::move(platform)};
}

TEST(SelectPlatform, PicksTheMatchingManifest) {
    std::vector<Descriptor> entries = {entry(media_type::oci_manifest, 'a', Platform{"linux", "arm64", "v8"}),
                                       entry(media_type::oci_manifest, 'b', Platform{"linux", "amd64", ""})};
    EXPECT_EQ(select_platform(entries, {"linux", "amd64", ""}, where).digest, entries[1].digest);
    EXPECT_EQ(select_platform(entries, {"linux", "arm64", ""}, where).digest, entries[0].digest);
}

TEST(SelectPlatform, EntriesThatAreNotManifestsAreIgnored) {
    // The image spec: an entry of an unknown media type MUST be ignored, even one that names the platform.
    std::vector<Descriptor> entries = {entry(media_type::oci_layer_gzip, 'a', Platform{"linux", "amd64", ""}),
                                       entry(media_type::docker_manifest, 'b', Platform{"linux", "amd64", ""})};
    EXPECT_EQ(select_platform(entries, {"linux", "amd64", ""}, where).digest, entries[1].digest);
}

TEST(SelectPlatform, AnIndexOfNoManifestsIsAnError) {
    std::vector<Descriptor> entries = {entry(media_type::oci_layer_gzip, 'a', Platform{"linux", "amd64", ""}),
                                       entry(media_type::oci_config, 'b', std::nullopt),
                                       entry(media_type::oci_layer_gzip, 'c', std::nullopt)};
    EXPECT_EQ(error_of([&] {
                  select_platform(entries, {"linux", "amd64", ""}, where);
              }),
              where + ": the index lists no manifests (its entries are \"" + std::string(media_type::oci_layer_gzip) +
                  "\", \"" + std::string(media_type::oci_config) + "\")");
}

TEST(SelectPlatform, NoMatchListsWhatTheIndexHas) {
    std::vector<Descriptor> entries = {entry(media_type::oci_manifest, 'a', Platform{"linux", "s390x", ""})};
    EXPECT_EQ(error_of([&] {
                  select_platform(entries, {"linux", "amd64", ""}, where);
              }),
              where +
                  ": no image found in manifest list for architecture amd64, variant \"\", OS linux (it has: "
                  "linux/s390x)");
}

}  // namespace
}  // namespace berth::engine
