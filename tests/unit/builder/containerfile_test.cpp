#include "builder/containerfile.hpp"

#include <gtest/gtest.h>

#include "../error_of.hpp"

namespace berth::builder {
namespace {

using testing_support::error_of;

TEST(Containerfile, JoinsContinuedLinesAndSkipsComments) {
    auto file = parse_containerfile(
        "# syntax=docker/dockerfile:1\n"
        "FROM busybox AS base\n"
        "\n"
        "# a comment\n"
        "RUN echo a \\\n"
        "# inside\n"
        "\n"
        "  b\n"
        "run [\"echo\", \"c\"]\n",
        "Containerfile");
    ASSERT_EQ(file.instructions.size(), 3u);
    EXPECT_EQ(file.instructions[0].keyword, "FROM");
    EXPECT_EQ(file.instructions[0].arguments, "busybox AS base");
    EXPECT_EQ(file.instructions[1].line, 5);
    EXPECT_EQ(file.instructions[1].arguments, "echo a   b");
    EXPECT_FALSE(file.instructions[1].json_form);
    EXPECT_EQ(file.instructions[2].keyword, "RUN");
    EXPECT_TRUE(file.instructions[2].json_form);
    EXPECT_EQ(file.instructions[2].words, (std::vector<std::string>{"echo", "c"}));
}

TEST(Containerfile, EscapeDirectiveChangesTheContinuationCharacter) {
    auto file = parse_containerfile("# escape=`\nFROM x\nRUN dir c:\\ `\n  /w\n", "Dockerfile");
    EXPECT_EQ(file.escape, '`');
    ASSERT_EQ(file.instructions.size(), 2u);
    EXPECT_EQ(file.instructions[1].arguments, "dir c:\\   /w");
}

TEST(Containerfile, DirectivesOnlyCountAtTheTop) {
    auto file = parse_containerfile("FROM x\n# escape=`\nRUN a \\\n b\n", "Containerfile");
    EXPECT_EQ(file.escape, '\\');
    EXPECT_EQ(file.instructions[1].arguments, "a  b");
}

TEST(Containerfile, FlagsComeBeforeTheArguments) {
    auto file = parse_containerfile("FROM x\nCOPY --from=build --chown=1:2 /a /b\n", "Containerfile");
    const auto& copy = file.instructions[1];
    EXPECT_EQ(copy.flags, (std::vector<std::string>{"--from=build", "--chown=1:2"}));
    EXPECT_EQ(copy.arguments, "/a /b");
    EXPECT_EQ(flag_value(copy, "from"), "build");
    EXPECT_EQ(flag_value(copy, "chmod", "none"), "none");
    EXPECT_TRUE(has_flag(copy, "chown"));
}

TEST(Containerfile, NotJsonIsTheShellForm) {
    auto file = parse_containerfile("FROM x\nCMD [not json\nCMD [\"a\", 1]\n", "Containerfile");
    EXPECT_FALSE(file.instructions[1].json_form);
    EXPECT_FALSE(file.instructions[2].json_form);
}

TEST(Containerfile, HeredocsTakeTheLinesUpToTheirDelimiter) {
    auto file = parse_containerfile("FROM x\nRUN <<EOF\necho $A\nEOF\nCOPY <<-\"END\" /f\n\thello\n\tEND\nUSER 1\n",
                                    "Containerfile");
    ASSERT_EQ(file.instructions.size(), 4u);
    ASSERT_EQ(file.instructions[1].heredocs.size(), 1u);
    EXPECT_EQ(file.instructions[1].heredocs[0].content, "echo $A\n");
    EXPECT_TRUE(file.instructions[1].heredocs[0].expand);
    EXPECT_EQ(file.instructions[2].heredocs[0].content, "hello\n");
    EXPECT_FALSE(file.instructions[2].heredocs[0].expand);
    EXPECT_EQ(file.instructions[3].keyword, "USER");
}

TEST(Containerfile, BadInputGivesTheLine) {
    EXPECT_EQ(error_of([] { parse_containerfile("FROM x\n\nFROB y\n", "Containerfile"); }),
              "Containerfile:3: unknown instruction: FROB");
    EXPECT_EQ(error_of([] { parse_containerfile("FROM x\nRUN\n", "Containerfile"); }),
              "Containerfile:2: RUN requires at least one argument");
    EXPECT_EQ(error_of([] { parse_containerfile("FROM x\nRUN <<EOF\necho\n", "Dockerfile"); }),
              "Dockerfile:2: unterminated heredoc EOF");
    EXPECT_EQ(error_of([] { parse_containerfile("# escape=x\nFROM x\n", "Containerfile"); }),
              "Containerfile:1: invalid escape token 'x' does not match ` or \\");
}

}  // namespace
}  // namespace berth::builder
