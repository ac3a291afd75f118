#include "networks/netavark.hpp"

#include <gtest/gtest.h>

#include "common/files.hpp"
#include "networks/ip_leases.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::networks {
namespace {

using testing_support::error_of;

Network app_network() {
    Network network = default_network();
    network.name = "app";
    network.network_interface = "podman1";
    network.subnets = {{"10.89.0.0/29", "10.89.0.1", "", ""}};
    network.dns_enabled = true;
    return network;
}

TEST(NetavarkTest, EndpointsRoundTripThroughTheirText) {
    auto endpoint = parse_endpoint("app:ip=10.89.0.5,alias=db,alias=cache");
    EXPECT_EQ(endpoint.network, "app");
    EXPECT_EQ(endpoint.static_ip, "10.89.0.5");
    EXPECT_EQ(endpoint.aliases, (std::vector<std::string>{"db", "cache"}));
    EXPECT_EQ(endpoint_text(endpoint), "app:ip=10.89.0.5,alias=db,alias=cache");
    EXPECT_EQ(endpoint_text(parse_endpoint("app")), "app");
    auto with_mac = parse_endpoint("app:mac=92:d0:c6:0a:29:33");
    EXPECT_EQ(with_mac.static_mac, "92:d0:c6:0a:29:33");
    EXPECT_EQ(endpoint_text(with_mac), "app:mac=92:d0:c6:0a:29:33");
    EXPECT_EQ(error_of([] { parse_endpoint("app:color=blue"); }), "unknown bridge network option: color");
}

TEST(NetavarkTest, OptionsCarryTheDefinitionAddressesAliasesAndPorts) {
    NetavarkRequest request;
    request.container_id = std::string(64, 'a');
    request.container_name = "web";
    request.endpoint = parse_endpoint("app:alias=www");
    request.network = app_network();
    request.addresses = {"10.89.0.2"};
    request.ports = {{"", 80, 8080, 1, "tcp"}};
    auto options = netavark_options(request);
    EXPECT_EQ(options["container_name"], "web");
    EXPECT_EQ(options["networks"]["app"]["static_ips"], nlohmann::json::array({"10.89.0.2"}));
    EXPECT_EQ(options["networks"]["app"]["aliases"], nlohmann::json::array({std::string(12, 'a'), "www"}));
    EXPECT_EQ(options["networks"]["app"]["interface_name"], "eth0");
    EXPECT_EQ(options["network_info"]["app"]["network_interface"], "podman1");
    EXPECT_EQ(options["port_mappings"][0]["host_port"], 8080);
    EXPECT_EQ(options["port_mappings"][0]["container_port"], 80);
    EXPECT_FALSE(options["networks"]["app"].contains("static_mac"));
    request.endpoint.static_mac = "92:d0:c6:0a:29:33";
    EXPECT_EQ(netavark_options(request)["networks"]["app"]["static_mac"], "92:d0:c6:0a:29:33");
}

TEST(NetavarkTest, ReadsTheAddressOfSetupsResult) {
    auto result = nlohmann::json::parse(R"({"app": {"dns_server_ips": ["10.89.0.1"], "interfaces": {"eth0": {
        "mac_address": "aa:bb:cc:dd:ee:ff", "subnets": [{"ipnet": "fd00::2/64"}, {"ipnet": "10.89.0.2/24",
        "gateway": "10.89.0.1"}]}}}})");
    EXPECT_EQ(setup_result_ipv4(result), "10.89.0.2");
    EXPECT_EQ(setup_result_ipv4(nlohmann::json::object()), "");
}

TEST(IpLeasesTest, LeasesFreeAddressesPastTheGatewayAndGivesThemBack) {
    TempDir scratch{"/tmp", "ip-leases-test-"};
    IpLeases leases(scratch.path());
    auto network = app_network();
    const auto& subnet = network.subnets[0];
    EXPECT_EQ(leases.lease(network, subnet, "one", ""), "10.89.0.2");
    EXPECT_EQ(leases.lease(network, subnet, "one", ""), "10.89.0.2");  // its own again
    EXPECT_EQ(leases.lease(network, subnet, "two", ""), "10.89.0.3");
    EXPECT_EQ(leases.lease(network, subnet, "three", "10.89.0.6"), "10.89.0.6");
    EXPECT_EQ(error_of([&] { leases.lease(network, subnet, "four", "10.89.0.6"); }),
              "IPAM error: requested ip address 10.89.0.6 is already allocated to another container");
    EXPECT_EQ(error_of([&] { leases.lease(network, subnet, "four", "10.90.0.6"); }),
              "requested static ip 10.90.0.6 not in any subnet on network app");
    EXPECT_EQ(leases.lease(network, subnet, "four", ""), "10.89.0.4");
    EXPECT_EQ(leases.lease(network, subnet, "five", ""), "10.89.0.5");
    // .7 is the broadcast address of the /29.
    EXPECT_EQ(error_of([&] { leases.lease(network, subnet, "six", ""); }),
              "IPAM error: failed to find free IP in range: 10.89.0.0/29");
    leases.release(network, "two");
    EXPECT_EQ(leases.lease(network, subnet, "six", ""), "10.89.0.3");
}

TEST(IpLeasesTest, TakesOverTheLeasesOfContainersThatAreGone) {
    TempDir scratch{"/tmp", "ip-leases-test-"};
    auto network = app_network();
    const auto& subnet = network.subnets[0];
    IpLeases plain(scratch.path());
    EXPECT_EQ(plain.lease(network, subnet, "killed", ""), "10.89.0.2");
    EXPECT_EQ(plain.lease(network, subnet, "alive", ""), "10.89.0.3");
    IpLeases leases(scratch.path(), [](const std::string& id) { return id == "alive"; });
    EXPECT_EQ(leases.lease(network, subnet, "new", ""), "10.89.0.2");
    EXPECT_EQ(error_of([&] { leases.lease(network, subnet, "other", "10.89.0.3"); }),
              "IPAM error: requested ip address 10.89.0.3 is already allocated to another container");
}

}  // namespace
}  // namespace berth::networks
