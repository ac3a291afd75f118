#include "common/lexical_path.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

using Parts = std::vector<std::string>;

TEST(LexicalPath, DropsRootDotAndEmptyComponents) {
    EXPECT_EQ(lexical_components("/a//./b/"), Parts({"a", "b"}));
    EXPECT_EQ(lexical_components("./"), Parts());
}

TEST(LexicalPath, FoldsDotDotIntoItsParent) { EXPECT_EQ(lexical_components("a/b/../c"), Parts({"a", "c"})); }

TEST(LexicalPath, RefusesToClimbAboveTheRoot) {
    EXPECT_FALSE(lexical_components("../etc/passwd"));
    EXPECT_FALSE(lexical_components("a/../../b"));
    EXPECT_FALSE(lexical_components("/.."));
}

}  // namespace
}  // namespace berth
