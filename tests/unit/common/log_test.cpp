#include "common/log.hpp"

#include <gtest/gtest.h>

namespace berth {
namespace {

class LogTest : public testing::Test {
protected:
    void TearDown() override { set_log_level(LogLevel::warn); }
};

// ctest's stderr is not a terminal: messages come in logrus' key=value form, as Podman's do.
TEST_F(LogTest, KeyValueFormWithQuotedMessageWhenNotATerminal) {
    set_log_level(LogLevel::debug);
    testing::internal::CaptureStderr();
    log_warning("path \"/x\"\tgone");
    std::string text = testing::internal::GetCapturedStderr();
    EXPECT_TRUE(text.starts_with("time=\"")) << text;
    EXPECT_NE(text.find(" level=warning msg=\"path \\\"/x\\\"\\tgone\"\n"), std::string::npos) << text;
}

TEST_F(LogTest, LevelsBelowTheChosenOneAreDropped) {
    set_log_level(LogLevel::info);
    testing::internal::CaptureStderr();
    log_trace("t");
    log_debug("d");
    log_info("i");
    std::string text = testing::internal::GetCapturedStderr();
    EXPECT_EQ(text.find("level=trace"), std::string::npos) << text;
    EXPECT_EQ(text.find("level=debug"), std::string::npos) << text;
    EXPECT_NE(text.find(" level=info msg=\"i\""), std::string::npos) << text;
}

TEST_F(LogTest, WarningIsAnotherNameForWarn) {
    EXPECT_EQ(parse_log_level("warning"), LogLevel::warn);
    EXPECT_EQ(parse_log_level("telepathic"), std::nullopt);
}

}  // namespace
}  // namespace berth
