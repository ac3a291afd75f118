#include "transport/config_changes.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"

namespace berth::transport {
namespace {

using nlohmann::json;

json applied(const std::vector<std::string>& changes, json config = json::object()) {
    apply_config_changes(config, changes);
    return config;
}

TEST(ConfigChanges, CommandsTakeJsonArraysOrShellForm) {
    EXPECT_EQ(applied({R"(CMD=["cat", "/etc/motd"])"})["Cmd"], json({"cat", "/etc/motd"}));
    EXPECT_EQ(applied({"cmd echo hi"})["Cmd"], json({"/bin/sh", "-c", "echo hi"}));
    EXPECT_EQ(applied({R"(ENTRYPOINT ["/app"])"})["Entrypoint"], json({"/app"}));
}

TEST(ConfigChanges, EnvAndLabelsReplaceOrAdd) {
    json config = applied({"ENV=A=1 B=\"two\"", "ENV PATH /bin", "LABEL=k=v"}, {{"Env", {"PATH=/usr/bin"}}});
    EXPECT_EQ(config["Env"], json({"PATH=/bin", "A=1", "B=two"}));
    EXPECT_EQ(config["Labels"], json({{"k", "v"}}));
}

TEST(ConfigChanges, PortsVolumesWorkdirUserAndStopSignal) {
    json config = applied(
        {"EXPOSE 80 53/udp", R"(VOLUME ["/data"])", "WORKDIR /srv", "WORKDIR app", "USER 1000", "STOPSIGNAL SIGINT"});
    EXPECT_EQ(config["ExposedPorts"], json({{"80/tcp", json::object()}, {"53/udp", json::object()}}));
    EXPECT_EQ(config["Volumes"], json({{"/data", json::object()}}));
    EXPECT_EQ(config["WorkingDir"], "/srv/app");
    EXPECT_EQ(config["User"], "1000");
    EXPECT_EQ(config["StopSignal"], "SIGINT");
}

TEST(ConfigChanges, MalformedChangesAreRefusedWithPodmansMessages) {
    try {
        applied({"NOPE x"});
        FAIL();
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "invalid change \"NOPE x\" - invalid instruction NOPE");
    }
    try {
        applied({"CMD"});
        FAIL();
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "invalid change \"CMD\" - must be formatted as KEY VALUE");
    }
}

}  // namespace
}  // namespace berth::transport
