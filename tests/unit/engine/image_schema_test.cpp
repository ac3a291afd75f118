#include "engine/image_schema.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "common/error.hpp"
#include "engine/image_manifest.hpp"
#include "registry/media_types.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;
namespace media_type = registry::media_type;

const std::string digest_a = "sha256:" + std::string(64, 'a');
const std::string digest_b = "sha256:" + std::string(64, 'b');
const std::string digest_c = "sha256:" + std::string(64, 'c');

const std::string manifest_where = "manifest " + digest_a + " of example.com/x:1";
const std::string manifest_error = manifest_where + ": does not conform to the OCI image manifest schema: ";
const std::string index_where = "manifest example.com/x:1";
const std::string index_error = index_where + ": does not conform to the OCI image index schema: ";
const std::string config_where = "config " + digest_b;
const std::string config_error = config_where + ": does not conform to the OCI image config schema: ";

using testing_support::error_of;

json descriptor(std::string_view type, const std::string& digest, int64_t size) {
    return {{"mediaType", type}, {"digest", digest}, {"size", size}};
}

json oci_manifest() {
    return {{"schemaVersion", 2},
            {"mediaType", media_type::oci_manifest},
            {"config", descriptor(media_type::oci_config, digest_b, 1234)},
            {"layers", json::array({descriptor(media_type::oci_layer_gzip, digest_c, 5678)})},
            {"annotations", {{"org.opencontainers.image.title", "x"}}}};
}

json oci_index() {
    json entry = descriptor(media_type::oci_manifest, digest_a, 100);
    entry["platform"] = {{"architecture", "arm64"}, {"os", "linux"}, {"variant", "v8"}};
    json other = descriptor(media_type::oci_manifest, digest_b, 200);
    other["platform"] = {{"architecture", "amd64"}, {"os", "linux"}, {"os.features", json::array({"x"})}};
    return {{"schemaVersion", 2},
            {"mediaType", media_type::oci_index},
            {"manifests", json::array({entry, other})},
            {"annotations", {{"org.example", "y"}}}};
}

json oci_config() {
    return {{"created", "2024-01-01T00:00:00.123456789Z"},
            {"architecture", "amd64"},
            {"os", "linux"},
            {"config",
             {{"Env", json::array({"PATH=/usr/bin:/bin"})},
              {"Entrypoint", nullptr},
              {"Cmd", json::array({"sh"})},
              {"ExposedPorts", {{"80/tcp", json::object()}}},
              {"Volumes", nullptr},
              {"Labels", {{"org.example.label", "z"}}},
              {"WorkingDir", "/"},
              {"User", "1000"}}},
            {"rootfs", {{"type", "layers"}, {"diff_ids", json::array({digest_c})}}},
            {"history", json::array({{{"created", "2024-01-01T00:00:00Z"}, {"created_by", "berth test"}}})}};
}

std::string manifest_violation(const json& document) {
    return error_of([&] { validate_oci_document("manifest", document, manifest_where); });
}
std::string index_violation(const json& document) {
    return error_of([&] { validate_oci_document("index", document, index_where); });
}
std::string config_violation(const json& document) {
    return error_of([&] { validate_oci_document("config", document, config_where); });
}

// --------------------------------------------------------------------------
// Valid documents

TEST(ImageSchema, ValidDocumentsConform) {
    EXPECT_EQ(manifest_violation(oci_manifest()), "no error");
    EXPECT_EQ(index_violation(oci_index()), "no error");
    EXPECT_EQ(config_violation(oci_config()), "no error");
    // "mediaType" is optional in both, and a config needs only architecture, os and rootfs.
    json manifest = oci_manifest();
    manifest.erase("mediaType");
    EXPECT_EQ(manifest_violation(manifest), "no error");
    json index = oci_index();
    index.erase("mediaType");
    EXPECT_EQ(index_violation(index), "no error");
    EXPECT_EQ(config_violation({{"architecture", "amd64"}, {"os", "linux"}, {"rootfs", oci_config()["rootfs"]}}),
              "no error");
}

TEST(ImageSchema, ParsersAcceptValidDocuments) {
    auto manifest = parse_image_manifest(oci_manifest().dump(), manifest_where);
    EXPECT_EQ(manifest.config.digest, digest_b);
    ASSERT_EQ(manifest.layers.size(), 1u);
    EXPECT_EQ(manifest.layers[0].size, 5678u);
    auto entries = parse_index(oci_index().dump(), index_where, media_type::oci_index);
    ASSERT_EQ(entries.size(), 2u);
    EXPECT_EQ(entries[0].platform->variant, "v8");
    auto config = parse_image_config(oci_config().dump(), config_where, media_type::oci_config);
    EXPECT_EQ(config.diff_ids, std::vector<std::string>{digest_c});
}

// --------------------------------------------------------------------------
// Each violation, with its first error's path and message

TEST(ImageSchema, ManifestWithoutConfig) {
    json manifest = oci_manifest();
    manifest.erase("config");
    EXPECT_EQ(manifest_violation(manifest), manifest_error + "(root): Missing required property 'config'");
}

TEST(ImageSchema, LayersNotAnArray) {
    json manifest = oci_manifest();
    manifest["layers"] = descriptor(media_type::oci_layer_gzip, digest_c, 1);
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/layers: Value type not permitted by 'type' constraint (got an object)");
    manifest["layers"] = "x";
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/layers: Value type not permitted by 'type' constraint (got \"x\")");
}

TEST(ImageSchema, NoLayers) {
    json manifest = oci_manifest();
    manifest["layers"] = json::array();
    EXPECT_EQ(manifest_violation(manifest).rfind(manifest_error + "/layers: Array should contain no fewer than 1", 0),
              0u);
}

TEST(ImageSchema, BadDigestFormat) {
    for (const char* digest : {"sha256-abc", "SHA256:abc", "sha256:", ":abc", "sha256:abc/def"}) {
        json manifest = oci_manifest();
        manifest["layers"][0]["digest"] = digest;
        EXPECT_EQ(manifest_violation(manifest), manifest_error +
                                                    "/layers/0/digest: Failed to match regex specified by 'pattern' "
                                                    "constraint (got \"" +
                                                    digest + "\")")
            << digest;
    }
    json manifest = oci_manifest();
    manifest["config"]["digest"] = 7;
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/config/digest: Value type not permitted by 'type' constraint (got 7)");
}

// The schema's digest grammar is "algorithm:encoded" for any algorithm and length: what is wrong with
// "sha256:XYZ" is only said in prose (sha256 is 64 lower-case hex digits), so berth's own check catches it.
TEST(ImageSchema, DigestThatOnlyTheSpecProseForbids) {
    json manifest = oci_manifest();
    manifest["layers"][0]["digest"] = "sha256:XYZ";
    EXPECT_EQ(manifest_violation(manifest), "no error");
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where); }),
              manifest_where + ": unsupported or invalid digest \"sha256:XYZ\"");
}

// A descriptor's size is an int64 in the schema (defs.json), so -1 conforms; berth refuses it as not a byte count.
TEST(ImageSchema, NegativeSize) {
    json manifest = oci_manifest();
    manifest["layers"][0]["size"] = -1;
    EXPECT_EQ(manifest_violation(manifest), "no error");
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where); }),
              manifest_where + ": missing or invalid \"size\"");
}

// defs.json writes int64's maximum as 9223372036854776000 (2^63 - 1 rounded, as a double would print it), and a size
// is checked against that number as written: above it, a size does not conform; 2^63 itself does.
TEST(ImageSchema, SizeBeyondInt64) {
    json manifest = oci_manifest();
    manifest["layers"][0]["size"] = uint64_t{18446744073709551615u};
    EXPECT_EQ(manifest_violation(manifest), manifest_error +
                                                "/layers/0/size: Expected number less than or equal to "
                                                "9223372036854776000 (got 18446744073709551615)");
    manifest["layers"][0]["size"] = uint64_t{9223372036854776001u};
    EXPECT_EQ(manifest_violation(manifest).rfind(manifest_error + "/layers/0/size: Expected number less than", 0), 0u);
    manifest["layers"][0]["size"] = uint64_t{9223372036854776000u};
    EXPECT_EQ(manifest_violation(manifest), "no error");
    manifest["layers"][0]["size"] = int64_t{9223372036854775807};
    EXPECT_EQ(manifest_violation(manifest), "no error");
    manifest["layers"][0]["size"] = 1.5;
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/layers/0/size: Value type not permitted by 'type' constraint (got 1.5)");
    manifest = oci_manifest();
    manifest["schemaVersion"] = uint64_t{18446744073709551615u};
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/schemaVersion: Expected number less than or equal to 2 (got 18446744073709551615)");
}

TEST(ImageSchema, MediaTypeOfTheWrongType) {
    json manifest = oci_manifest();
    manifest["mediaType"] = 2;
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/mediaType: Value type not permitted by 'type' constraint (got 2)");
    manifest = oci_manifest();
    manifest["layers"][0]["mediaType"] = json::array({"application/vnd.oci.image.layer.v1.tar"});
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/layers/0/mediaType: Value type not permitted by 'type' constraint (got an array)");
    manifest = oci_manifest();
    manifest["config"]["mediaType"] = "not a media type";
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error +
                  "/config/mediaType: Failed to match regex specified by 'pattern' constraint (got "
                  "\"not a media type\")");
}

TEST(ImageSchema, OtherManifestViolations) {
    json manifest = oci_manifest();
    manifest["schemaVersion"] = 1;
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/schemaVersion: Expected number greater than or equal to 2 (got 1)");
    manifest = oci_manifest();
    manifest["layers"][0]["annotations"] = {{"org.example", 1}};
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error +
                  "/layers/0/annotations/org.example: Value type not permitted by 'type' constraint "
                  "(got 1)");
    manifest = oci_manifest();
    manifest["layers"][0].erase("size");
    EXPECT_EQ(manifest_violation(manifest), manifest_error + "/layers/0: Missing required property 'size'");
    EXPECT_EQ(manifest_violation(json::array()),
              manifest_error + "(root): Value type not permitted by 'type' constraint");
}

TEST(ImageSchema, ConfigRootfsTypeNotLayers) {
    json config = oci_config();
    config["rootfs"]["type"] = "tarball";
    EXPECT_EQ(config_violation(config),
              config_error + "/rootfs/type: Failed to match against any enum values (got \"tarball\")");
    config["rootfs"].erase("type");
    EXPECT_EQ(config_violation(config), config_error + "/rootfs: Missing required property 'type'");
}

TEST(ImageSchema, OtherConfigViolations) {
    json config = oci_config();
    config.erase("os");
    EXPECT_EQ(config_violation(config), config_error + "(root): Missing required property 'os'");
    config = oci_config();
    config["config"]["Env"] = "PATH=/bin";
    EXPECT_EQ(config_violation(config),
              config_error + "/config/Env: Value type not permitted by 'type' constraint (got \"PATH=/bin\")");
    config = oci_config();
    config["created"] = "yesterday";
    EXPECT_EQ(config_violation(config),
              config_error + "/created: String should be a valid date-time (got \"yesterday\")");
    config = oci_config();
    config["rootfs"]["diff_ids"] = json::array({1});
    EXPECT_EQ(config_violation(config),
              config_error + "/rootfs/diff_ids/0: Value type not permitted by 'type' constraint (got 1)");
    config = oci_config();
    config["config"]["Cmd"] = "sh";  // neither an array nor null: both alternatives of a oneOf fail, the first says why
    EXPECT_EQ(config_violation(config),
              config_error + "/config/Cmd: Value type not permitted by 'type' constraint (got \"sh\")");
}

TEST(ImageSchema, BadPlatformInIndex) {
    json index = oci_index();
    index["manifests"][1]["platform"].erase("os");
    EXPECT_EQ(index_violation(index), index_error + "/manifests/1/platform: Missing required property 'os'");
    index = oci_index();
    index["manifests"][0]["platform"]["architecture"] = 64;
    EXPECT_EQ(
        index_violation(index),
        index_error + "/manifests/0/platform/architecture: Value type not permitted by 'type' constraint (got 64)");
    index = oci_index();
    index["manifests"][0]["platform"] = "linux/arm64";
    EXPECT_EQ(index_violation(index), index_error +
                                          "/manifests/0/platform: Value type not permitted by 'type' constraint (got "
                                          "\"linux/arm64\")");
}

TEST(ImageSchema, OtherIndexViolations) {
    json index = oci_index();
    index.erase("manifests");
    EXPECT_EQ(index_violation(index), index_error + "(root): Missing required property 'manifests'");
    index = oci_index();
    index["manifests"][0]["digest"] = "md5";
    EXPECT_EQ(index_violation(index), index_error +
                                          "/manifests/0/digest: Failed to match regex specified by 'pattern' "
                                          "constraint (got \"md5\")");
}

TEST(ImageSchema, PathsEscapeSlashAndTilde) {
    json manifest = oci_manifest();
    manifest["annotations"] = {{"a/b~c", false}};
    EXPECT_EQ(manifest_violation(manifest),
              manifest_error + "/annotations/a~1b~0c: Value type not permitted by 'type' constraint (got false)");
}

TEST(ImageSchema, UnknownKind) {
    EXPECT_EQ(error_of([] { validate_oci_document("layout", json::object(), "x"); }),
              "no OCI image schema for \"layout\" (manifest, index or config)");
}

// --------------------------------------------------------------------------
// Strings std::regex would overflow the stack on are refused without matching

TEST(ImageSchema, OverlongStringsAreRefusedBeforeMatching) {
    const std::string huge(200000, 'a');
    const std::string refused = " (berth matches at most 1024 against the schema's patterns)";
    json manifest = oci_manifest();
    manifest["layers"][0]["digest"] = "sha256:" + huge;
    EXPECT_EQ(manifest_violation(manifest),
              manifest_where +
                  ": cannot be checked against the OCI image manifest schema: /layers/0/digest is 200007 "
                  "characters long" +
                  refused);
    manifest = oci_manifest();
    manifest["annotations"] = {{huge, "x"}};
    EXPECT_EQ(manifest_violation(manifest),
              manifest_where +
                  ": cannot be checked against the OCI image manifest schema: the member name at "
                  "/annotations/" +
                  std::string(61, 'a') + "... is 200000 characters long" + refused);
    json config = oci_config();
    config["history"][0]["created"] = std::string(200000, '1');
    EXPECT_EQ(config_violation(config),
              config_where +
                  ": cannot be checked against the OCI image config schema: /history/0/created is 200000 "
                  "characters long" +
                  refused);
    // Long strings that no pattern looks at are fine.
    config = oci_config();
    config["history"][0]["created_by"] = huge;
    config["config"]["Env"] = json::array({"X=" + huge});
    EXPECT_EQ(config_violation(config), "no error");
    // At the limit, the pattern is matched.
    manifest = oci_manifest();
    manifest["layers"][0]["digest"] = "sha256:" + std::string(oci_schema_longest_checked_string - 7, 'a');
    EXPECT_EQ(manifest_violation(manifest), "no error");
}

TEST(ImageSchema, DeeplyNestedDocumentsDoNotOverflowTheStack) {
    std::string nested = R"({"schemaVersion":2,"config":{},"layers":[],"annotations":{"x":)";
    nested += std::string(100000, '[') + std::string(100000, ']') + "}}";
    json document = json::parse(nested);
    EXPECT_EQ(manifest_violation(document).rfind(manifest_error, 0), 0u);
}

// The rule above is derived from the schemas: these are the properties they match against a regex.
TEST(ImageSchema, MatchedPropertiesComeFromTheSchemas) {
    EXPECT_EQ(oci_schema_matched_properties(), (std::set<std::string>{"created", "digest", "mediaType"}));
}

// --------------------------------------------------------------------------
// Which documents are checked

TEST(ImageSchema, ParsersCheckOciDocumentsOnly) {
    json manifest = oci_manifest();
    manifest["layers"][0]["annotations"] = {{"org.example", 1}};
    std::string violation = manifest_error + "/layers/0/annotations/org.example: ";
    // OCI by its mediaType, by the media type given, by its config's media type
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where); }).rfind(violation, 0), 0u);
    EXPECT_EQ(error_of([&] {
                  parse_image_manifest(manifest.dump(), manifest_where, media_type::oci_manifest);
              }).rfind(violation, 0),
              0u);
    manifest.erase("mediaType");
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where); }).rfind(violation, 0), 0u);
    // Docker's: structurally only
    manifest["config"]["mediaType"] = media_type::docker_config;
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where); }), "no error");
    manifest["mediaType"] = media_type::docker_manifest;
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where); }), "no error");
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where, media_type::docker_manifest); }),
              "no error");

    json index = oci_index();
    index["manifests"][0]["platform"] = "linux/arm64";
    std::string index_violation_prefix = index_error + "/manifests/0/platform: ";
    EXPECT_EQ(error_of([&] { parse_index(index.dump(), index_where); }).rfind(index_violation_prefix, 0), 0u);
    index["mediaType"] = media_type::docker_manifest_list;
    EXPECT_EQ(error_of([&] { parse_index(index.dump(), index_where); }), "no error");

    // A Docker config looks like an OCI one: only the media type tells them apart.
    json config = oci_config();
    config["config"]["Env"] = nullptr;  // as Docker writes an empty Env
    EXPECT_EQ(error_of([&] { parse_image_config(config.dump(), config_where); }), "no error");
    EXPECT_EQ(error_of([&] { parse_image_config(config.dump(), config_where, media_type::docker_config); }),
              "no error");
    EXPECT_EQ(error_of([&] { parse_image_config(config.dump(), config_where, media_type::oci_config); }),
              config_error + "/config/Env: Value type not permitted by 'type' constraint (got null)");
}

// The schema is checked first: a manifest without config says so in the schema's words.
TEST(ImageSchema, SchemaBeforeStructure) {
    json manifest = oci_manifest();
    manifest.erase("config");
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where); }),
              manifest_error + "(root): Missing required property 'config'");
    manifest["mediaType"] = media_type::docker_manifest;
    EXPECT_EQ(error_of([&] { parse_image_manifest(manifest.dump(), manifest_where); }),
              manifest_where + ": not an image manifest (no config or layers)");
}

// --------------------------------------------------------------------------
// The embedded schemas

TEST(ImageSchema, EmbedsTheSpecsSchemas) {
    auto names = oci_image_schema_names();
    for (const char* name : {"image-manifest-schema.json", "image-index-schema.json", "config-schema.json",
                             "content-descriptor.json", "defs.json", "defs-descriptor.json"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    }
    EXPECT_EQ(oci_image_schema("image-manifest-schema.json")["description"],
              "OpenContainer Image Manifest Specification");
    EXPECT_EQ(error_of([] { oci_image_schema("nothing.json"); }), "no embedded OCI image schema nothing.json");
}

// They are the installed package's files (while it is still installed where the build found it).
TEST(ImageSchema, EmbeddedSchemasAreTheInstalledOnes) {
    const std::filesystem::path directory = oci_image_schema_source_directory();
    if (!std::filesystem::is_directory(directory)) GTEST_SKIP() << "no " << directory;
    for (const auto& name : oci_image_schema_names()) {
        std::ifstream file(directory / name);
        ASSERT_TRUE(file) << name;
        EXPECT_EQ(json::parse(file), oci_image_schema(name)) << name;
    }
}

// valijson matches patterns with std::regex (ECMAScript): every pattern of the schemas must compile there.
void collect_patterns(const json& node, std::vector<std::string>& patterns) {
    if (!node.is_structured()) return;
    if (node.is_object()) {
        if (auto pattern = node.find("pattern"); pattern != node.end() && pattern->is_string())
            patterns.push_back(*pattern);
        if (auto properties = node.find("patternProperties"); properties != node.end() && properties->is_object())
            for (const auto& [pattern, schema] : properties->items()) patterns.push_back(pattern);
    }
    for (const auto& child : node) collect_patterns(child, patterns);
}

TEST(ImageSchema, EveryPatternCompilesAsECMAScript) {
    std::vector<std::string> patterns;
    for (const auto& name : oci_image_schema_names()) collect_patterns(oci_image_schema(name), patterns);
    EXPECT_GE(patterns.size(), 3u);
    for (const auto& pattern : patterns) EXPECT_NO_THROW(std::regex{pattern}) << pattern;
}

// The media type pattern's class "[...&-^...]" is a range from '&' to '^' (as in Go's regexp too), which takes in
// '/', digits and upper-case letters: odd, but what the spec's own validator accepts.
TEST(ImageSchema, MediaTypePatternAsTheSpecWritesIt) {
    json manifest = oci_manifest();
    manifest["config"]["mediaType"] = "application/vnd.example+json/extra";
    EXPECT_EQ(manifest_violation(manifest), "no error");
    manifest["config"]["mediaType"] = "application/" + std::string(200, 'x');
    EXPECT_EQ(manifest_violation(manifest).rfind(manifest_error + "/config/mediaType: Failed to match regex", 0), 0u);
}

}  // namespace
}  // namespace berth::engine
