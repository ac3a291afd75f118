#include "volumes/volume_record.hpp"

#include <gtest/gtest.h>

#include "tests/unit/error_of.hpp"
#include "volumes/volume_name.hpp"

namespace berth::volumes {
namespace {

using testing_support::error_of;

TEST(VolumeRecordTest, RoundTripsEveryField) {
    VolumeRecord record;
    record.name = "data.1_x-y";
    record.driver = "local";
    record.created_ns = 1'700'000'000'123'456'789;
    record.labels = {{"app", "web"}, {"empty", ""}};
    record.options = {{"type", "tmpfs"}, {"device", "tmpfs"}, {"o", "size=1m,uid=1"}};
    record.anonymous = true;
    record.needs_copy_up = false;
    record.needs_chown = false;
    EXPECT_EQ(decode_volume_record(encode_volume_record(record), "volume.json"), record);
}

TEST(VolumeRecordTest, MissingFieldsTakeTheirDefaults) {
    auto record = decode_volume_record(R"({"name":"v"})", "volume.json");
    EXPECT_EQ(record.name, "v");
    EXPECT_EQ(record.driver, "local");
    EXPECT_TRUE(record.needs_copy_up);
    EXPECT_FALSE(record.anonymous);
}

TEST(VolumeRecordTest, BadRecordsNameThePath) {
    EXPECT_EQ(error_of([] { decode_volume_record("{", "/x/volume.json"); }),
              "volume record /x/volume.json: not a JSON object");
    EXPECT_EQ(error_of([] { decode_volume_record(R"({"name":".hidden"})", "/x/volume.json"); }),
              "volume record /x/volume.json: invalid name \".hidden\"");
    EXPECT_NE(error_of([] { decode_volume_record(R"({"driver":"local"})", "/x/volume.json"); }), "no error");
}

TEST(VolumeNameTest, FollowsPodmansPattern) {
    for (const char* name : {"a", "Z9", "data", "my.vol_1-x", "0abc"}) EXPECT_TRUE(valid_volume_name(name)) << name;
    for (const char* name : {"", ".x", "_x", "-x", "a/b", "a b", "a:b", "ä"})
        EXPECT_FALSE(valid_volume_name(name)) << name;
    EXPECT_EQ(error_of([] { check_volume_name("bad/name"); }),
              "running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
}

TEST(VolumeNameTest, AnonymousNamesAre64HexDigits) {
    auto first = new_anonymous_volume_name();
    EXPECT_EQ(first.size(), 64u);
    EXPECT_EQ(first.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_NE(first, new_anonymous_volume_name());
    EXPECT_TRUE(valid_volume_name(first));
}

TEST(VolumeNameTest, SourcesStartingWithSlashOrDotAreHostPaths) {
    EXPECT_TRUE(names_a_volume("data"));
    EXPECT_FALSE(names_a_volume("/srv"));
    EXPECT_FALSE(names_a_volume("./srv"));
    EXPECT_FALSE(names_a_volume(""));
}

}  // namespace
}  // namespace berth::volumes
