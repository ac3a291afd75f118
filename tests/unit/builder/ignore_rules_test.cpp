#include "builder/ignore_rules.hpp"

#include <gtest/gtest.h>

namespace berth::builder {
namespace {

TEST(IgnoreRules, PatternsWithWildcardsAndExceptions) {
    auto rules = IgnoreRules::parse("# comment\n*.log\n!keep.log\nsecret\n/build/\n**/*.tmp\ndocs/**\n!docs/README\n");
    EXPECT_TRUE(rules.excluded("a.log"));
    EXPECT_FALSE(rules.excluded("keep.log"));
    EXPECT_FALSE(rules.excluded("sub/a.log"));  // '*' stays in one directory
    EXPECT_TRUE(rules.excluded("secret"));
    EXPECT_TRUE(rules.excluded("secret/inner/file"));  // a parent that matches excludes its files
    EXPECT_TRUE(rules.excluded("build/out.o"));
    EXPECT_TRUE(rules.excluded("x.tmp"));
    EXPECT_TRUE(rules.excluded("deep/er/x.tmp"));
    EXPECT_TRUE(rules.excluded("docs/a/b"));
    EXPECT_FALSE(rules.excluded("docs/README"));
    EXPECT_FALSE(rules.excluded("src/main.c"));
}

TEST(IgnoreRules, CharacterClassesAndQuestionMarks) {
    auto rules = IgnoreRules::parse("file?.[ch]\n[!a]*.txt\n");
    EXPECT_TRUE(rules.excluded("file1.c"));
    EXPECT_FALSE(rules.excluded("file10.c"));
    EXPECT_TRUE(rules.excluded("b.txt"));
    EXPECT_FALSE(rules.excluded("a.txt"));
}

TEST(IgnoreRules, EmptyRulesExcludeNothing) {
    auto rules = IgnoreRules::parse("\n# only a comment\n");
    EXPECT_TRUE(rules.empty());
    EXPECT_FALSE(rules.excluded("anything"));
}

}  // namespace
}  // namespace berth::builder
