#include "builder/image_config.hpp"

#include <gtest/gtest.h>

#include "../error_of.hpp"

namespace berth::builder {
namespace {

using nlohmann::json;
using testing_support::error_of;

Instruction healthcheck(const std::string& line) {
    return parse_containerfile("FROM x\n" + line + "\n", "Containerfile").instructions.at(1);
}

TEST(ImageConfig, EnvEntriesAreReplacedInPlaceOrAppended) {
    json config = {{"Env", {"PATH=/bin", "A=1"}}};
    set_env(config, "PATH", "/usr/bin");
    set_env(config, "B", "two words");
    EXPECT_EQ(config["Env"], json({"PATH=/usr/bin", "A=1", "B=two words"}));
    EXPECT_EQ(env_of(config), (Variables{{"PATH", "/usr/bin"}, {"A", "1"}, {"B", "two words"}}));
    EXPECT_TRUE(env_of(json::object()).empty());
}

TEST(ImageConfig, HealthchecksAsDockerWritesThem) {
    EXPECT_EQ(healthcheck_config(healthcheck("HEALTHCHECK NONE")), json({{"Test", {"NONE"}}}));
    EXPECT_EQ(healthcheck_config(healthcheck("HEALTHCHECK CMD curl -f http://localhost/")),
              json({{"Test", {"CMD-SHELL", "curl -f http://localhost/"}}}));
    EXPECT_EQ(
        healthcheck_config(healthcheck("HEALTHCHECK --interval=1m30s --timeout=500ms --retries=3 CMD [\"true\"]")),
        json({{"Test", {"CMD", "true"}}, {"Interval", 90'000'000'000}, {"Timeout", 500'000'000}, {"Retries", 3}}));
    EXPECT_EQ(error_of([] { healthcheck_config(healthcheck("HEALTHCHECK true")); }),
              "HEALTHCHECK takes NONE or CMD followed by the command");
    EXPECT_EQ(error_of([] { healthcheck_config(healthcheck("HEALTHCHECK --retries=x CMD true")); }),
              "--retries=x: not a number");
}

TEST(ImageConfig, GoDurations) {
    EXPECT_EQ(parse_duration("30s"), 30'000'000'000);
    EXPECT_EQ(parse_duration("1.5h"), 5'400'000'000'000);
    EXPECT_EQ(parse_duration("2m3s4ms"), 123'004'000'000);
    EXPECT_EQ(parse_duration("10us"), 10'000);
    for (const char* bad : {"", "5", "s", "5x", "1..2s", ".s"})
        EXPECT_EQ(error_of([&] { parse_duration(bad); }), std::string("invalid duration \"") + bad + "\"") << bad;
}

}  // namespace
}  // namespace berth::builder
