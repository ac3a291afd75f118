// Small parts of containers: process identity, the generated /etc files, inspect's times.
#include <gtest/gtest.h>
#include <unistd.h>

#include "engine/container_etc_files.hpp"
#include "engine/container_inspect.hpp"
#include "engine/process_identity.hpp"

namespace berth::engine {
namespace {

TEST(ProcessIdentity, StartTimeIsField22EvenWithSpacesInTheName) {
    std::string stat = "1234 (a (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
    EXPECT_EQ(parse_stat_start_time(stat), 987654u);
    EXPECT_FALSE(parse_stat_start_time("1234 (short) S 1 2").has_value());
    EXPECT_FALSE(parse_stat_start_time("no parenthesis").has_value());
}

TEST(ProcessIdentity, ThisProcessIsAliveAndAWrongStartTimeIsNot) {
    auto start = process_start_time(::getpid());
    ASSERT_TRUE(start.has_value());
    auto boot = current_boot_id();
    EXPECT_FALSE(boot.empty());
    EXPECT_TRUE(same_process_alive(::getpid(), *start, boot));
    EXPECT_FALSE(same_process_alive(::getpid(), *start + 1, boot));  // a reused pid
    EXPECT_FALSE(same_process_alive(::getpid(), *start, "another-boot"));
    EXPECT_FALSE(same_process_alive(0, *start, boot));
}

TEST(ContainerEtcFiles, HostsNameTheContainer) {
    auto hosts = container_hosts_file("abc123", "web");
    EXPECT_NE(hosts.find("127.0.0.1\tlocalhost"), std::string::npos);
    EXPECT_NE(hosts.find("127.0.1.1\tabc123 web\n"), std::string::npos);
    EXPECT_NE(container_hosts_file("web", "web").find("127.0.1.1\tweb\n"), std::string::npos);
}

TEST(ContainerEtcFiles, ResolvConfDropsLoopbackServers) {
    EXPECT_EQ(container_resolv_conf("# comment\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch example.org\n"),
              "nameserver 10.0.0.2\nsearch example.org\n");
    EXPECT_EQ(container_resolv_conf("nameserver 127.0.0.1\noptions edns0\n"),
              "options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
}

TEST(ContainerInspect, TimesAreRfc3339WithNanoseconds) {
    EXPECT_EQ(format_time_ns(0), "0001-01-01T00:00:00Z");
    EXPECT_EQ(format_time_ns(1'700'000'000'123'456'789), "2023-11-14T22:13:20.123456789Z");
}

}  // namespace
}  // namespace berth::engine
