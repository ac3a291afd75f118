#include "engine/pod_containers.hpp"

#include <gtest/gtest.h>

#include "tests/unit/error_of.hpp"

namespace berth::engine {
namespace {

using testing_support::error_of;

pods::PodRecord pod() {
    pods::PodRecord record;
    record.id = std::string(64, 'a');
    record.name = "web";
    record.shared = pods::default_shared_namespaces();
    record.add_hosts = {{"db", "10.0.0.2"}};
    record.infra_command = {"/catatonit", "-P"};
    return record;
}

storage::ContainerRecord infra() {
    storage::ContainerRecord record;
    record.id = std::string(64, 'b');
    record.network = "slirp4netns";
    return record;
}

TEST(PodMembers, TakeTheInfrasNetworkAndThePodsHostname) {
    RunOptions options;
    options.add_hosts = {{"own", "10.0.0.3"}};
    adapt_member_options(pod(), infra(), options);
    EXPECT_EQ(options.network, "slirp4netns");
    EXPECT_EQ(options.hostname, "web");
    ASSERT_EQ(options.add_hosts.size(), 2u);
    EXPECT_EQ(options.add_hosts[0].first, "db");
}

TEST(PodMembers, RefuseTheirOwnPortsNetworkAndHostnameAsPodmanDoes) {
    RunOptions ports;
    ports.ports.push_back({"", 80, 8080, 1, "tcp"});
    EXPECT_NE(error_of([&] {
                  adapt_member_options(pod(), infra(), ports);
              }).find("published or exposed ports must be defined when the pod is created"),
              std::string::npos);
    RunOptions network;
    network.network = "host";
    EXPECT_NE(error_of([&] { adapt_member_options(pod(), infra(), network); }).find("shared with a pod"),
              std::string::npos);
    RunOptions hostname;
    hostname.hostname = "mine";
    EXPECT_EQ(error_of([&] { adapt_member_options(pod(), infra(), hostname); }),
              "invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration");
}

TEST(PodMembers, KeepTheirOwnWhenNothingIsShared) {
    auto alone = pod();
    alone.shared.clear();
    RunOptions options;
    options.network = "none";
    options.hostname = "mine";
    adapt_member_options(alone, infra(), options);
    EXPECT_EQ(options.network, "none");
    EXPECT_EQ(options.hostname, "mine");
}

TEST(PodInfra, RunsItsCommandAsTheEntrypoint) {
    auto config = infra_image_config(pod());
    EXPECT_EQ(config["config"]["Entrypoint"], nlohmann::json::array({"/catatonit", "-P"}));
    EXPECT_EQ(default_infra_command(), (std::vector<std::string>{"/catatonit", "-P"}));
}

}  // namespace
}  // namespace berth::engine
