#include <gtest/gtest.h>

#include "common/error.hpp"
#include "netns/cni_bridge.hpp"
#include "netns/host_routes.hpp"
#include "netns/network_mode.hpp"
#include "netns/pasta.hpp"
#include "netns/slirp4netns.hpp"

namespace berth::netns {

TEST(NetworkMode, DefaultsDependOnTheCaller) {
    EXPECT_EQ(parse_network("", true, "pasta").kind, NetworkKind::pasta);
    EXPECT_EQ(parse_network("private", true, "slirp4netns").kind, NetworkKind::slirp4netns);
    auto root = parse_network("", false, "pasta");
    EXPECT_EQ(root.kind, NetworkKind::bridge);
    EXPECT_EQ(root.bridge_name, "berth");
    EXPECT_THROW(parse_network("", true, ""), Error);
}

TEST(NetworkMode, ParsesModesAndOptions) {
    auto slirp = parse_network("slirp4netns:allow_host_loopback=false,mtu=1500", true, "pasta");
    EXPECT_EQ(slirp.kind, NetworkKind::slirp4netns);
    EXPECT_EQ(option_value(slirp, "allow_host_loopback"), "false");
    EXPECT_EQ(option_value(slirp, "mtu"), "1500");
    EXPECT_EQ(network_text(slirp), "slirp4netns:allow_host_loopback=false,mtu=1500");
    EXPECT_EQ(parse_network(network_text(slirp), true, ""), slirp);
    auto pasta = parse_network("pasta:--no-map-gw,-m,1500", true, "");
    EXPECT_EQ(pasta.options, (std::vector<std::string>{"--no-map-gw", "-m", "1500"}));
    EXPECT_EQ(parse_network("none", true, "").kind, NetworkKind::none);
    EXPECT_EQ(parse_network("host", false, "").kind, NetworkKind::host);
    EXPECT_EQ(network_text(parse_network("bridge", false, "")), "berth");
    EXPECT_THROW(parse_network("slirp4netns:bogus=1", true, ""), Error);
    EXPECT_THROW(parse_network("bridge", true, "pasta"), Error);
    EXPECT_THROW(parse_network("pasta", false, ""), Error);
    EXPECT_EQ(network_text(parse_network("podman", false, "")), "berth");
    auto user = parse_network("web:ip=10.89.0.5,alias=db", false, "");
    EXPECT_TRUE(is_user_network(user));
    EXPECT_EQ(user.bridge_name, "web");
    EXPECT_EQ(network_text(user), "web:ip=10.89.0.5,alias=db");
    EXPECT_FALSE(is_user_network(parse_network("bridge", false, "")));
    try {
        parse_network("web", true, "pasta");
        FAIL();
    } catch (const Error& error) {
        EXPECT_EQ(std::string(error.what()),
                  "network web: user-defined networks need root for now; rootless containers use slirp4netns or "
                  "pasta");
    }
    try {
        parse_network("bad/name", false, "");
        FAIL();
    } catch (const Error& error) {
        EXPECT_EQ(std::string(error.what()), "unable to find network with name or ID bad/name: network not found");
    }
}

TEST(HostRoutes, DefaultRouteAndSlirpAddresses) {
    std::string table =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
        "eth0\t0002000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
        "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n";
    EXPECT_EQ(parse_default_route(table), (DefaultRoute{"eth0", "192.0.2.1"}));
    EXPECT_FALSE(parse_default_route(table.substr(0, table.rfind("eth0"))).has_value());
    EXPECT_TRUE(has_default_route(table));
    auto slirp = slirp_addresses("10.0.2.0/24");
    EXPECT_EQ(slirp.container, "10.0.2.100");
    EXPECT_EQ(slirp.gateway, "10.0.2.2");
    EXPECT_EQ(slirp.dns, "10.0.2.3");
    EXPECT_EQ(slirp_addresses("10.5.0.0/16").container, "10.5.0.100");
    EXPECT_THROW(slirp_addresses("10.0.2.0/30"), Error);
}

TEST(Helpers, Slirp4netnsArgumentsAndForwards) {
    auto mode = parse_network("slirp4netns:allow_host_loopback=false", true, "");
    SlirpRequest request{"/usr/bin/slirp4netns", 42, &mode, {}, "/run/x.sock", ""};
    auto args = slirp4netns_arguments(request);
    EXPECT_EQ(args, (std::vector<std::string>{"/usr/bin/slirp4netns", "--configure", "--mtu=65520", "--exit-fd=3",
                                              "--ready-fd=4", "--api-socket=/run/x.sock", "--disable-host-loopback",
                                              "42", "tap0"}));
    std::vector<PortMapping> ports{{"", 80, 8080, 2, "tcp"}};
    auto requests = hostfwd_requests(ports, "10.0.2.100");
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_EQ(nlohmann::json::parse(requests[1]),
              nlohmann::json::parse(R"({"execute": "add_hostfwd", "arguments": {"proto": "tcp",
                  "host_addr": "0.0.0.0", "host_port": 8081, "guest_addr": "10.0.2.100", "guest_port": 81}})"));
}

TEST(Helpers, PastaArguments) {
    auto mode = parse_network("pasta", true, "");
    PastaRequest request{
        "/usr/bin/pasta", 42, &mode, {{"", 80, 8080, 1, "tcp"}, {"127.0.0.1", 53, 5353, 2, "udp"}}, ""};
    EXPECT_EQ(pasta_arguments(request),
              (std::vector<std::string>{"/usr/bin/pasta", "--config-net", "--foreground", "--quiet", "-t", "8080:80",
                                        "-u", "127.0.0.1/5353-5354:53-54", "-T", "none", "-U", "none", "42"}));
    request.ports.clear();
    auto none = pasta_arguments(request);
    EXPECT_EQ(std::vector<std::string>(none.begin() + 4, none.end()),
              (std::vector<std::string>{"-t", "none", "-u", "none", "-T", "none", "-U", "none", "42"}));
}

TEST(CniBridge, DefaultConfigAndPluginInput) {
    CniPaths paths;
    paths.state_dir = "/run/test";
    auto config = default_network_config("berth", paths);
    EXPECT_EQ(config["plugins"].size(), 3u);
    EXPECT_EQ(config["plugins"][0]["ipam"]["ranges"][0][0]["subnet"], "10.88.0.0/16");
    EXPECT_EQ(config["plugins"][0]["ipam"]["ranges"][0][0]["gateway"], "10.88.0.1");
    std::vector<PortMapping> ports{{"", 80, 8080, 1, "tcp"}};
    auto portmap = plugin_input(config, config["plugins"][1], nlohmann::json{{"cniVersion", "0.4.0"}}, ports);
    EXPECT_EQ(portmap["name"], "berth");
    EXPECT_EQ(portmap["prevResult"]["cniVersion"], "0.4.0");
    EXPECT_EQ(portmap["runtimeConfig"]["portMappings"][0],
              nlohmann::json::parse(R"({"hostPort": 8080, "containerPort": 80, "protocol": "tcp"})"));
    EXPECT_FALSE(plugin_input(config, config["plugins"][0], nullptr, ports).contains("runtimeConfig"));
    EXPECT_EQ(result_ipv4(nlohmann::json::parse(R"({"ips": [{"address": "10.88.0.7/16"}]})")), "10.88.0.7");
}

}  // namespace berth::netns
