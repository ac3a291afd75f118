#include "networks/ip_network.hpp"

#include <gtest/gtest.h>

namespace berth::networks {
namespace {

TEST(IpNetworkTest, ParsesSubnetsAndClearsTheHostBits) {
    EXPECT_EQ(subnet_text(*parse_subnet("10.89.0.7/24")), "10.89.0.0/24");
    EXPECT_EQ(subnet_text(*parse_subnet("fd37:4172:9a6a:bff2::5/64")), "fd37:4172:9a6a:bff2::/64");
    EXPECT_EQ(subnet_text(*parse_subnet("10.50.0.0/12")), "10.48.0.0/12");
    EXPECT_FALSE(parse_subnet("10.89.0.0"));
    EXPECT_FALSE(parse_subnet("10.89.0.0/33"));
    EXPECT_FALSE(parse_subnet("10.89.0/24"));
    EXPECT_FALSE(parse_subnet("10.89.0.0/2x"));
}

TEST(IpNetworkTest, TellsContainmentAndOverlap) {
    auto wide = *parse_subnet("10.88.0.0/16");
    EXPECT_TRUE(subnet_contains(wide, *parse_ip("10.88.200.1")));
    EXPECT_FALSE(subnet_contains(wide, *parse_ip("10.89.0.1")));
    EXPECT_TRUE(subnets_overlap(wide, *parse_subnet("10.88.3.0/24")));
    EXPECT_TRUE(subnets_overlap(*parse_subnet("10.88.3.0/24"), wide));
    EXPECT_FALSE(subnets_overlap(wide, *parse_subnet("10.89.0.0/24")));
    EXPECT_FALSE(subnets_overlap(wide, *parse_subnet("fd00::/8")));
}

TEST(IpNetworkTest, FindsAddressesInsideASubnet) {
    auto subnet = *parse_subnet("10.50.1.0/24");
    EXPECT_EQ(ip_text(address_at(subnet, 1)), "10.50.1.1");
    EXPECT_EQ(ip_text(address_at(subnet, 300)), "10.50.2.44");
    EXPECT_EQ(ip_text(last_address(subnet)), "10.50.1.255");
    EXPECT_EQ(ip_text(last_address(*parse_subnet("10.50.1.128/25"))), "10.50.1.255");
    EXPECT_EQ(ip_text(address_at(*parse_subnet("fd00:1::/64"), 1)), "fd00:1::1");
}

}  // namespace
}  // namespace berth::networks
