#include "cli/image_history.hpp"

#include <gtest/gtest.h>

namespace berth::cli {
namespace {

using nlohmann::json;

TEST(ImageHistory, NewestFirstWithLayerSizesAndTheImageIdOnTop) {
    json config = {{"history",
                    {{{"created", "2026-01-01T00:00:00Z"}, {"created_by", "/bin/sh -c #(nop) ADD file:a in /"}},
                     {{"created", "2026-01-02T00:00:00Z"}, {"created_by", "RUN make"}, {"comment", "built"}},
                     {{"created", "2026-01-03T00:00:00Z"}, {"created_by", "CMD [\"sh\"]"}, {"empty_layer", true}}}}};
    auto rows = history_rows(config, {100, 20}, "abc123");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].id, "abc123");
    EXPECT_EQ(rows[0].created_by, "CMD [\"sh\"]");
    EXPECT_EQ(rows[0].size, 0u);
    EXPECT_EQ(rows[1].id, "<missing>");
    EXPECT_EQ(rows[1].size, 20u);
    EXPECT_EQ(rows[1].comment, "built");
    EXPECT_EQ(rows[2].size, 100u);
    EXPECT_EQ(rows[2].created, "2026-01-01T00:00:00Z");
}

TEST(ImageHistory, WithoutHistoryOneRowPerLayer) {
    json config = {{"created", "2026-02-02T10:00:00Z"}};
    auto rows = history_rows(config, {5, 7}, "feed");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0].id, "feed");
    EXPECT_EQ(rows[0].size, 7u);
    EXPECT_EQ(rows[1].size, 5u);
    EXPECT_EQ(rows[1].created, "2026-02-02T10:00:00Z");
}

TEST(ImageHistory, MoreLayerEntriesThanLayersGetSizeZero) {
    json config = {{"history", {{{"created_by", "a"}}, {{"created_by", "b"}}}}};
    auto rows = history_rows(config, {9}, "id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1].size, 9u);
    EXPECT_EQ(rows[0].size, 0u);
}

TEST(ImageHistory, SkipsEntriesThatAreNotObjects) {
    json config = {{"history", json::array({"junk", {{"created_by", "x"}}})}};
    auto rows = history_rows(config, {1}, "id");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].created_by, "x");
}

}  // namespace
}  // namespace berth::cli
