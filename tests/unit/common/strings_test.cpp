#include "common/strings.hpp"

#include <gtest/gtest.h>

namespace berth {

TEST(Split, KeepsEmptyFields) {
    EXPECT_EQ(split("a::b", ':'), (std::vector<std::string>{"a", "", "b"}));
    EXPECT_EQ(split("", ':'), (std::vector<std::string>{""}));
    EXPECT_EQ(split("a:", ':'), (std::vector<std::string>{"a", ""}));
}

TEST(Trim, RemovesBlanksAtBothEnds) {
    EXPECT_EQ(trim("  a b\t\n"), "a b");
    EXPECT_EQ(trim(" \n"), "");
}

TEST(ParseUnsigned, AcceptsOnlyWholeNumbers) {
    EXPECT_EQ(parse_unsigned("100000"), 100000u);
    EXPECT_EQ(parse_unsigned(""), std::nullopt);
    EXPECT_EQ(parse_unsigned("12a"), std::nullopt);
    EXPECT_EQ(parse_unsigned("-1"), std::nullopt);
    EXPECT_EQ(parse_unsigned("99999999999999999999999"), std::nullopt);
}

TEST(Join, PutsTheSeparatorBetweenParts) {
    EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
    EXPECT_EQ(join({"only"}, ", "), "only");
    EXPECT_EQ(join({}, ", "), "");
}

TEST(KeyValues, BareKeysAreEmptyAndTheLastWordWins) {
    auto pairs = parse_key_values({"tier=front", "flag", "a=b=c", "tier=back"});
    EXPECT_EQ(pairs, (std::map<std::string, std::string>{{"a", "b=c"}, {"flag", ""}, {"tier", "back"}}));
}

}  // namespace berth
