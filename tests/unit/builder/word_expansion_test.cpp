#include "builder/word_expansion.hpp"

#include <gtest/gtest.h>

#include "../error_of.hpp"

namespace berth::builder {
namespace {

using testing_support::error_of;

const Variables variables{{"A", "one"}, {"EMPTY", ""}, {"SPACE", "a b"}};

TEST(WordExpansion, ReplacesPlainAndBracedVariables) {
    EXPECT_EQ(expand_word("$A/${A}x/$NOPE.", variables), "one/onex/.");
    EXPECT_EQ(expand_word("cost $5 and $", variables), "cost $5 and $");
}

TEST(WordExpansion, DefaultsAndAlternatives) {
    EXPECT_EQ(expand_word("${NOPE:-d}${EMPTY:-e}${A:-f}", variables), "deone");
    EXPECT_EQ(expand_word("${EMPTY-e}|${NOPE-n}", variables), "|n");
    EXPECT_EQ(expand_word("${A:+x}|${EMPTY:+y}|${EMPTY+z}|${NOPE:+w}", variables), "x||z|");
    EXPECT_EQ(expand_word("${NOPE:-$A}", variables), "one");
    EXPECT_EQ(error_of([] { expand_word("${NOPE:?must be set}", variables); }), "NOPE: must be set");
}

TEST(WordExpansion, QuotesAndEscapes) {
    EXPECT_EQ(expand_word("'$A' \"$A\" \\$A", variables), "$A one $A");
    EXPECT_EQ(expand_word("\"a \\\"q\\\" \\n\"", variables), "a \"q\" \\n");
    WordOptions backtick{'`', nullptr};
    EXPECT_EQ(expand_word("c:\\dir `$A", variables, backtick), "c:\\dir $A");
}

TEST(WordExpansion, SplitsAtUnquotedBlanks) {
    EXPECT_EQ(expand_words("a \"b c\"  $SPACE '' d", variables),
              (std::vector<std::string>{"a", "b c", "a b", "", "d"}));
    EXPECT_EQ(split_words("K=\"a b\" L=c\\ d"), (std::vector<std::string>{"K=\"a b\"", "L=c\\ d"}));
}

TEST(WordExpansion, RecordsTheVariablesRead) {
    std::set<std::string> used;
    WordOptions options;
    options.used = &used;
    expand_word("$A ${NOPE:-x} '$B'", variables, options);
    EXPECT_EQ(used, (std::set<std::string>{"A", "NOPE"}));
}

TEST(WordExpansion, HeredocsExpandOnlyVariables) {
    WordOptions only_variables;
    only_variables.only_variables = true;
    EXPECT_EQ(expand_word("say \"$A\" '${A}' \\$A\n", variables, only_variables), "say \"one\" 'one' $A\n");
}

TEST(WordExpansion, MalformedTextIsAnError) {
    EXPECT_EQ(error_of([] { expand_word("'open", variables); }),
              "unexpected end of statement while looking for matching single-quote");
    EXPECT_EQ(error_of([] { expand_word("${A", variables); }), "bad substitution: ${A");
    EXPECT_EQ(error_of([] { expand_word("${A:-x", variables); }), "missing '}' in variable substitution");
}

}  // namespace
}  // namespace berth::builder
