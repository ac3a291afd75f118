#include "networks/network_create.hpp"

#include <gtest/gtest.h>

#include "tests/unit/error_of.hpp"

namespace berth::networks {
namespace {

using testing_support::error_of;

CreateRequest named(const std::string& name) {
    CreateRequest request;
    request.name = name;
    return request;
}

std::vector<Network> with_default() { return {default_network()}; }

TEST(NetworkCreateTest, AllocatesSubnetsAndInterfacesAsPodman) {
    auto existing = with_default();
    auto first = make_network(named("one"), existing, {});
    EXPECT_EQ(first.network_interface, "podman1");
    ASSERT_EQ(first.subnets.size(), 1u);
    EXPECT_EQ(first.subnets[0], (NetworkSubnet{"10.89.0.0/24", "10.89.0.1", "", ""}));
    EXPECT_EQ(first.id.size(), 64u);
    EXPECT_TRUE(first.dns_enabled);
    existing.push_back(first);
    auto second = make_network(named("two"), existing, {});
    EXPECT_EQ(second.network_interface, "podman2");
    EXPECT_EQ(second.subnets[0].subnet, "10.89.1.0/24");
}

TEST(NetworkCreateTest, AvoidsTheHostsRoutesAndInterfaces) {
    HostNetworks host;
    host.routes = {*parse_subnet("10.89.0.0/23")};
    host.interfaces = {"lo", "podman1"};
    auto network = make_network(named("one"), with_default(), host);
    EXPECT_EQ(network.subnets[0].subnet, "10.89.2.0/24");
    EXPECT_EQ(network.network_interface, "podman2");
}

TEST(NetworkCreateTest, TakesAGivenInterfaceNameThatNoOtherNetworkUses) {
    auto existing = with_default();
    auto request = named("one");
    request.interface_name = "br-one";
    auto network = make_network(request, existing, {});
    EXPECT_EQ(network.network_interface, "br-one");
    existing.push_back(network);
    auto again = named("two");
    again.interface_name = "br-one";
    EXPECT_EQ(error_of([&] { make_network(again, existing, {}); }), "bridge name br-one already in use");
    again.interface_name = "much-too-long-name";
    EXPECT_NE(error_of([&] { make_network(again, existing, {}); }).find("invalid"), std::string::npos);
}

TEST(NetworkCreateTest, NamesANetworkWithoutANameAfterAFreeInterface) {
    auto existing = with_default();
    existing.push_back(make_network(named("podman1"), existing, {}));
    auto network = make_network(CreateRequest{}, existing, {});
    EXPECT_EQ(network.name, "podman2");
}

TEST(NetworkCreateTest, KeepsGivenSubnetsGatewaysAndRanges) {
    auto request = named("given");
    request.subnets = {"10.50.0.0/16"};
    request.gateways = {"10.50.0.254"};
    request.ip_ranges = {"10.50.1.0/24"};
    auto network = make_network(request, with_default(), {});
    EXPECT_EQ(network.subnets[0], (NetworkSubnet{"10.50.0.0/16", "10.50.0.254", "10.50.1.1", "10.50.1.255"}));
    EXPECT_FALSE(network.ipv6_enabled);
}

TEST(NetworkCreateTest, InternalNetworksHaveNoGatewayAndIpv6GetsAUniqueLocalSubnet) {
    auto request = named("inside");
    request.internal = true;
    request.ipv6 = true;
    auto network = make_network(request, with_default(), {});
    ASSERT_EQ(network.subnets.size(), 2u);
    EXPECT_EQ(network.subnets[0].gateway, "");
    auto v6 = *parse_subnet(network.subnets[1].subnet);
    EXPECT_TRUE(v6.address.v6);
    EXPECT_EQ(v6.prefix, 64u);
    EXPECT_EQ(v6.address.bytes[0], 0xfd);
    EXPECT_TRUE(network.ipv6_enabled);
}

TEST(NetworkCreateTest, AnIpv6SubnetEnablesIpv6) {
    auto request = named("six");
    request.subnets = {"fd00:10::/64"};
    auto network = make_network(request, with_default(), {});
    ASSERT_EQ(network.subnets.size(), 1u);
    EXPECT_TRUE(network.ipv6_enabled);
    EXPECT_EQ(network.subnets[0].gateway, "fd00:10::1");
}

TEST(NetworkCreateTest, RefusesWhatPodmanRefuses) {
    auto existing = with_default();
    existing.push_back(make_network(named("one"), existing, {}));
    EXPECT_EQ(error_of([&] { make_network(named("one"), existing, {}); }),
              "network name one already used: network already exists");
    EXPECT_EQ(error_of([&] { make_network(named("podman"), existing, {}); }),
              "network name podman already used: network already exists");
    EXPECT_EQ(error_of([&] { make_network(named("bad name"), existing, {}); }),
              "network name bad name invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
    auto taken = named("x");
    taken.subnets = {"10.89.0.0/24"};
    EXPECT_EQ(error_of([&] { make_network(taken, existing, {}); }),
              "subnet 10.89.0.0/24 is already used on the host or by another config");
    auto lone_gateway = named("x");
    lone_gateway.gateways = {"10.90.0.1"};
    EXPECT_EQ(error_of([&] { make_network(lone_gateway, existing, {}); }),
              "cannot set gateway or range without subnet");
    auto outside = named("x");
    outside.subnets = {"10.90.0.0/24"};
    outside.gateways = {"10.91.0.1"};
    EXPECT_EQ(error_of([&] { make_network(outside, existing, {}); }), "gateway 10.91.0.1 not in subnet 10.90.0.0/24");
    auto driver = named("x");
    driver.driver = "foo";
    EXPECT_EQ(error_of([&] { make_network(driver, existing, {}); }), "unsupported driver foo: invalid argument");
    auto option = named("x");
    option.options = {{"color", "blue"}};
    EXPECT_EQ(error_of([&] { make_network(option, existing, {}); }), "unsupported bridge network option color");
}

}  // namespace
}  // namespace berth::networks
