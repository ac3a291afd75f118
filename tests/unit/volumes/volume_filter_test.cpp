#include "volumes/volume_filter.hpp"

#include <gtest/gtest.h>

#include "tests/unit/error_of.hpp"
#include "volumes/volume_options.hpp"

namespace berth::volumes {
namespace {

using testing_support::error_of;

const std::vector<std::string> ls_keys = {"name", "label", "dangling", "driver"};

VolumeRecord volume(const std::string& name, std::map<std::string, std::string> labels = {}) {
    VolumeRecord record;
    record.name = name;
    record.labels = std::move(labels);
    return record;
}

TEST(VolumeFilterTest, NameLabelAndDangling) {
    auto unused = [] { return false; };
    auto used = [] { return true; };
    auto web = volume("webdata", {{"app", "web"}, {"tier", ""}});
    EXPECT_TRUE(volume_matches(parse_volume_filter({"name=web"}, ls_keys), web, unused));
    EXPECT_TRUE(volume_matches(parse_volume_filter({"name=^web.*a$"}, ls_keys), web, unused));
    EXPECT_FALSE(volume_matches(parse_volume_filter({"name=db"}, ls_keys), web, unused));
    EXPECT_TRUE(volume_matches(parse_volume_filter({"label=app"}, ls_keys), web, unused));
    EXPECT_TRUE(volume_matches(parse_volume_filter({"label=app=web"}, ls_keys), web, unused));
    EXPECT_FALSE(volume_matches(parse_volume_filter({"label=app=db"}, ls_keys), web, unused));
    EXPECT_FALSE(volume_matches(parse_volume_filter({"label=app", "label=x"}, ls_keys), web, unused));
    EXPECT_TRUE(volume_matches(parse_volume_filter({"dangling=true"}, ls_keys), web, unused));
    EXPECT_FALSE(volume_matches(parse_volume_filter({"dangling=true"}, ls_keys), web, used));
    EXPECT_TRUE(volume_matches(parse_volume_filter({"dangling=false", "driver=local"}, ls_keys), web, used));
}

TEST(VolumeFilterTest, UnknownKeysAreRefusedAsPodmanDoes) {
    EXPECT_EQ(error_of([] { parse_volume_filter({"foo=bar"}, ls_keys); }), "\"foo\" is an invalid volume filter");
    EXPECT_EQ(error_of([] { parse_volume_filter({"name=x"}, {"label"}); }), "\"name\" is an invalid volume filter");
    EXPECT_NE(error_of([] { parse_volume_filter({"dangling=maybe"}, ls_keys); }), "no error");
}

TEST(VolumeOptionsTest, LocalDriverOptions) {
    auto options = parse_volume_options({"type=tmpfs", "device=tmpfs", "o=size=1m,nodev"});
    auto mount = device_mount_of(options);
    ASSERT_TRUE(mount);
    EXPECT_EQ(mount->type, "tmpfs");
    EXPECT_EQ(mount->options, (std::vector<std::string>{"size=1m", "nodev"}));
    auto bind = device_mount_of(parse_volume_options({"type=bind", "device=/tmp", "o=ro"}));
    ASSERT_TRUE(bind);
    EXPECT_EQ(bind->type, "bind");
    EXPECT_EQ(bind->source, "/tmp");
    EXPECT_FALSE(device_mount_of(parse_volume_options({})));
    EXPECT_EQ(error_of([] { parse_volume_options({"foo=bar"}); }),
              "invalid mount option foo for driver 'local': invalid argument");
    EXPECT_EQ(error_of([] {
                  parse_volume_options({"type=bind", "device=/nonexistent-dir"});
              }),
              "invalid volume option device for driver 'local': stat /nonexistent-dir: No such file or directory");
}

}  // namespace
}  // namespace berth::volumes
