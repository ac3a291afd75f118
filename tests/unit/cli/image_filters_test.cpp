#include "cli/image_filters.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace berth::cli {
namespace {

std::string parse_error(const std::vector<std::string>& filters) {
    try {
        parse_image_filters(filters);
    } catch (const Error& error) {
        EXPECT_EQ(error.exit_status(), 125);
        return error.what();
    }
    return "";
}

storage::ImageRecord image(const std::string& id, std::vector<std::string> names, const std::string& created) {
    storage::ImageRecord record;
    record.id = "sha256:" + id;
    record.names = std::move(names);
    record.created = created;
    return record;
}

TEST(ImageFilters, RejectsWhatPodmanRejectsWithItsMessages) {
    EXPECT_EQ(parse_error({"nope=1"}), "unsupported image filter \"nope\"");
    EXPECT_EQ(parse_error({"digest=sha256:abc"}), "unsupported image filter \"digest\"");
    EXPECT_EQ(parse_error({"nope"}),
              "invalid image filter \"nope\": must be in the format \"filter=value or filter!=value\"");
    EXPECT_EQ(parse_error({"dangling=maybe"}),
              "non-boolean value \"dangling\" for maybe filter: strconv.ParseBool: parsing \"maybe\": invalid syntax");
    EXPECT_EQ(parse_error({"readonly=x"}),
              "non-boolean value \"readonly\" for x filter: strconv.ParseBool: parsing \"x\": invalid syntax");
    EXPECT_EQ(parse_error({"dangling=false", "dangling=true"}),
              "specifying \"dangling\" filter more than once with different values is not supported");
    EXPECT_EQ(parse_error({"dangling=true", "dangling=1", "label!=a", "reference=x"}), "");
}

TEST(ImageFilters, ReferencesAreOredAndOtherKeysAnded) {
    auto busybox = image(std::string(64, 'a'), {"docker.io/library/busybox:latest"}, "2024-01-01T00:00:00Z");
    auto alpine = image(std::string(64, 'b'), {"localhost/alpine:3"}, "2024-02-01T00:00:00Z");
    auto dangling = image(std::string(64, 'c'), {}, "2024-03-01T00:00:00Z");
    ImageFilterContext context;
    context.labels_of = [&](const storage::ImageRecord& record) {
        return record.id == busybox.id ? std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}
                                       : std::map<std::string, std::string>{};
    };
    context.find_image = [&](const std::string& name) -> const storage::ImageRecord* {
        return name == "alpine" ? &alpine : nullptr;
    };
    auto passes = [&](const std::vector<std::string>& filters, const storage::ImageRecord& record) {
        return image_filter_matches(parse_image_filters(filters), record, context);
    };
    EXPECT_TRUE(passes({"reference=busybox", "reference=nosuch"}, busybox));
    EXPECT_TRUE(passes({"reference=busybox:latest"}, busybox));
    EXPECT_TRUE(passes({"reference=*alp*"}, alpine));
    EXPECT_FALSE(passes({"reference=busybox", "label=nosuch"}, busybox));
    EXPECT_TRUE(passes({"label=a", "label=b=2"}, busybox));
    EXPECT_FALSE(passes({"label=a", "label=b=3"}, busybox));
    EXPECT_TRUE(passes({"label!=a"}, alpine));
    EXPECT_FALSE(passes({"label!=a"}, busybox));
    EXPECT_TRUE(passes({"dangling=true"}, dangling));
    EXPECT_FALSE(passes({"dangling=true"}, busybox));
    EXPECT_TRUE(passes({"id=" + std::string(64, 'a')}, busybox));
    EXPECT_FALSE(passes({"id=aaaa"}, busybox));  // the whole id, as in Podman
    EXPECT_TRUE(passes({"readonly=false"}, busybox));
    EXPECT_FALSE(passes({"readonly=true"}, busybox));
    EXPECT_TRUE(passes({"before=alpine"}, busybox));
    EXPECT_FALSE(passes({"before=alpine"}, dangling));
    EXPECT_TRUE(passes({"since=alpine"}, dangling));
    EXPECT_FALSE(passes({"since=alpine"}, alpine));
}

TEST(ImageFilters, BeforeNamesAnImageThatMustExist) {
    ImageFilterContext context;
    context.find_image = [](const std::string&) -> const storage::ImageRecord* { return nullptr; };
    try {
        check_image_filter_references(parse_image_filters({"before=nosuch"}), context);
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(),
                     "could not find local image for filter filter \"before\"=\"nosuch\": nosuch: image not known");
    }
}

}  // namespace
}  // namespace berth::cli
