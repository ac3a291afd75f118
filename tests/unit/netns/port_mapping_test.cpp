#include "netns/port_mapping.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/error.hpp"

namespace berth::netns {
namespace {

PortMapping mapping(std::string ip, uint16_t container, uint16_t host, uint16_t range = 1,
                    std::string protocol = "tcp") {
    return {std::move(ip), container, host, range, std::move(protocol)};
}

std::string error_of(std::string_view value) {
    try {
        parse_publish(value);
    } catch (const Error& error) {
        return error.what();
    }
    return "";
}

}  // namespace

TEST(PortMapping, ParsesPodmanForms) {
    EXPECT_EQ(parse_publish("8080:80"), std::vector{mapping("", 80, 8080)});
    EXPECT_EQ(parse_publish("80"), std::vector{mapping("", 80, 0)});
    EXPECT_EQ(parse_publish("127.0.0.1:8080:80/udp"), std::vector{mapping("127.0.0.1", 80, 8080, 1, "udp")});
    EXPECT_EQ(parse_publish("127.0.0.1::80"), std::vector{mapping("127.0.0.1", 80, 0)});
    EXPECT_EQ(parse_publish("[::1]:8080:80"), std::vector{mapping("::1", 80, 8080)});
    EXPECT_EQ(parse_publish("8080-8082:80-82"), std::vector{mapping("", 80, 8080, 3)});
    EXPECT_EQ(parse_publish("5353:53/tcp,udp"), (std::vector{mapping("", 53, 5353), mapping("", 53, 5353, 1, "udp")}));
}

TEST(PortMapping, RejectsBadValuesInPodmansWords) {
    EXPECT_NE(error_of("abc").find("parsing container port: invalid port number"), std::string::npos);
    EXPECT_NE(error_of("70000:80").find("port numbers must be between 1 and 65535 (inclusive), got 70000"),
              std::string::npos);
    EXPECT_EQ(error_of("8080-8081:80"), "host and container port ranges have different lengths: 2 vs 1");
    EXPECT_EQ(error_of("1.2.3:80:80"), "cannot parse \"1.2.3\" as an IP address");
    EXPECT_EQ(error_of("80/sctp"), "unrecognized protocol \"sctp\" in port mapping");
    EXPECT_NE(error_of("90-80"), "");
    EXPECT_NE(error_of("1:2:3:4"), "");
}

TEST(PortMapping, ExposedPortsAndPublishAll) {
    auto config = nlohmann::json::parse(R"({"config": {"ExposedPorts": {"80/tcp": {}, "53/udp": {}}}})");
    auto exposed = exposed_port_mappings(config);
    ASSERT_EQ(exposed.size(), 2u);
    std::vector<PortMapping> ports{mapping("", 80, 8080)};
    merge_publish_all(ports, exposed);
    EXPECT_EQ(ports, (std::vector{mapping("", 80, 8080), mapping("", 53, 0, 1, "udp")}));
    EXPECT_TRUE(exposed_port_mappings(nlohmann::json::object()).empty());
}

TEST(PortMapping, RandomHostPortsAreFreeAndConsecutiveForRanges) {
    std::vector<PortMapping> ports{mapping("127.0.0.1", 80, 0, 3)};
    assign_random_host_ports(ports);
    ASSERT_NE(ports[0].host_port, 0);
    auto held = reserve_host_ports(ports);
    EXPECT_EQ(held.size(), 3u);
}

TEST(PortMapping, ReservingATakenPortFailsLikePodman) {
    std::vector<PortMapping> ports{mapping("127.0.0.1", 80, 0)};
    assign_random_host_ports(ports);
    auto held = reserve_host_ports(ports);
    try {
        reserve_host_ports(ports);
        FAIL() << "a taken port was reserved twice";
    } catch (const Error& error) {
        EXPECT_EQ(std::string(error.what()), "cannot listen on the TCP port: listen tcp4 127.0.0.1:" +
                                                 std::to_string(ports[0].host_port) + ": bind: Address already in use");
    }
}

TEST(PortMapping, TextsForPsAndPort) {
    std::vector<PortMapping> ports{mapping("", 80, 8080), mapping("127.0.0.1", 53, 5353, 1, "udp"),
                                   mapping("", 80, 9080, 2)};
    EXPECT_EQ(format_ports(ports), "0.0.0.0:8080->80/tcp, 127.0.0.1:5353->53/udp, 0.0.0.0:9080-9081->80-81/tcp");
    EXPECT_EQ(port_lines(ports), (std::vector<std::string>{"80/tcp -> 0.0.0.0:8080", "53/udp -> 127.0.0.1:5353",
                                                           "80/tcp -> 0.0.0.0:9080", "81/tcp -> 0.0.0.0:9081"}));
    EXPECT_EQ(host_addresses_of(ports, "81"), std::vector<std::string>{"0.0.0.0:9081"});
    EXPECT_EQ(host_addresses_of(ports, "53/udp"), std::vector<std::string>{"127.0.0.1:5353"});
    EXPECT_TRUE(host_addresses_of(ports, "53").empty());
    EXPECT_EQ(ports_to_json(ports)[0],
              nlohmann::json::parse(
                  R"({"host_ip": "", "container_port": 80, "host_port": 8080, "range": 1, "protocol": "tcp"})"));
}

}  // namespace berth::netns
