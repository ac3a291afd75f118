#include "rootless/subordinate_ids.hpp"

#include <gtest/gtest.h>

namespace berth::rootless {

TEST(SubordinateRanges, MatchesByNameOrIdInFileOrder) {
    const char* text =
        "alice:100000:65536\n"
        "# comment\n"
        "bob:165536:65536\n"
        "1000:300000:1000\n"
        "alice:400000:10\n";
    EXPECT_EQ(parse_subordinate_ranges(text, "alice", 1000),
              (std::vector<IdRange>{{100000, 65536}, {300000, 1000}, {400000, 10}}));
    EXPECT_EQ(parse_subordinate_ranges(text, "bob", 1001), (std::vector<IdRange>{{165536, 65536}}));
    EXPECT_TRUE(parse_subordinate_ranges(text, "carol", 1002).empty());
}

TEST(SubordinateRanges, SkipsMalformedLinesAndEmptyRanges) {
    const char* text =
        "alice:100000\n"
        "alice:abc:10\n"
        "alice:5:0\n"
        "alice:1:2:3\n"
        "  alice:7:8  \n";
    EXPECT_EQ(parse_subordinate_ranges(text, "alice", 1000), (std::vector<IdRange>{{7, 8}}));
}

TEST(SubordinateRanges, MissingFileGrantsNothing) {
    EXPECT_TRUE(read_subordinate_ranges("/nonexistent/subuid", "alice", 1000).empty());
}

TEST(RootlessMapping, OwnIdIsRootAndRangesFollow) {
    auto mappings = rootless_id_mappings(1000, {{100000, 65536}, {300000, 10}});
    EXPECT_EQ(mappings, (std::vector<IdMapping>{{0, 1000, 1}, {1, 100000, 65536}, {65537, 300000, 10}}));
    EXPECT_EQ(rootless_id_mappings(1000, {}), (std::vector<IdMapping>{{0, 1000, 1}}));
    EXPECT_EQ(total_ids({{1, 5}, {10, 7}}), 12u);
}

}  // namespace berth::rootless
