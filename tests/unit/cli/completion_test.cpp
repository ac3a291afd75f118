#include "cli/completion.hpp"

#include <gtest/gtest.h>

#include "cli/app.hpp"

namespace berth::cli {
namespace {

std::vector<std::string> values(const std::vector<std::string>& words, ValueKind* fallback = nullptr) {
    GlobalOptions globals;
    auto tree = build_command_tree(globals);
    auto completion = complete_words(*tree, words);
    if (fallback) *fallback = completion.fallback;
    std::vector<std::string> out;
    for (const auto& candidate : completion.candidates) out.push_back(candidate.value);
    return out;
}

TEST(Completion, CommandsByPrefixWithoutHiddenOnes) {
    auto all = values({""});
    EXPECT_NE(std::find(all.begin(), all.end(), "info"), all.end());
    EXPECT_EQ(std::find(all.begin(), all.end(), "__complete"), all.end());
    EXPECT_EQ(values({"inf"}), std::vector<std::string>{"info"});
    EXPECT_EQ(values({"--root", "/x", "ver"}), std::vector<std::string>{"version"});
}

TEST(Completion, OptionsOfTheCommandAndGlobalOnes) {
    auto options = values({"info", "--"});
    EXPECT_NE(std::find(options.begin(), options.end(), "--format"), options.end());
    EXPECT_NE(std::find(options.begin(), options.end(), "--root"), options.end());
    EXPECT_EQ(values({"info", "--fo"}), std::vector<std::string>{"--format"});
}

TEST(Completion, OptionValues) {
    EXPECT_EQ(values({"--storage-driver", "fu"}), std::vector<std::string>{"fuse-overlayfs"});
    EXPECT_EQ(values({"--log-level=de"}), std::vector<std::string>{"--log-level=debug"});
    ValueKind fallback = ValueKind::none;
    EXPECT_TRUE(values({"--root", ""}, &fallback).empty());
    EXPECT_EQ(fallback, ValueKind::directories);
}

TEST(Completion, PositionalArguments) {
    EXPECT_EQ(values({"completion", ""}), (std::vector<std::string>{"bash", "zsh", "fish"}));
    EXPECT_EQ(values({"help", "ver"}), std::vector<std::string>{"version"});
}

TEST(Completion, OutputEndsWithTheDirective) {
    Completion completion{{{"info", "Display"}, {"x", ""}}, ValueKind::files};
    EXPECT_EQ(format_completion(completion), "info\tDisplay\nx\n:files\n");
}

}  // namespace
}  // namespace berth::cli
