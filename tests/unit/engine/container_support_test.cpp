// Small parts of containers: process identity, the generated /etc files, inspect's times.
#include <gtest/gtest.h>
#include <unistd.h>

#include "common/files.hpp"
#include "engine/container_etc_files.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_log.hpp"
#include "engine/monitor.hpp"
#include "runtime/process_identity.hpp"

namespace berth::engine {
namespace {

TEST(ProcessIdentity, StartTimeIsField22EvenWithSpacesInTheName) {
    std::string stat = "1234 (a (weird) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
    EXPECT_EQ(runtime::parse_stat_start_time(stat), 987654u);
    EXPECT_FALSE(runtime::parse_stat_start_time("1234 (short) S 1 2").has_value());
    EXPECT_FALSE(runtime::parse_stat_start_time("no parenthesis").has_value());
}

TEST(ProcessIdentity, ThisProcessIsAliveAndAWrongStartTimeIsNot) {
    auto start = runtime::process_start_time(::getpid());
    ASSERT_TRUE(start.has_value());
    auto boot = runtime::current_boot_id();
    EXPECT_FALSE(boot.empty());
    EXPECT_TRUE(runtime::same_process_alive(::getpid(), *start, boot));
    EXPECT_FALSE(runtime::same_process_alive(::getpid(), *start + 1, boot));  // a reused pid
    EXPECT_FALSE(runtime::same_process_alive(::getpid(), *start, "another-boot"));
    EXPECT_FALSE(runtime::same_process_alive(0, *start, boot));
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

TEST(ContainerEtcFiles, NetworkNamesAndDnsFlags) {
    EtcNetwork network;
    network.container_ip = "10.0.2.100";
    network.host_gateway = "10.0.2.2";
    network.add_hosts = {{"db", "192.0.2.10"}};
    auto hosts = container_hosts_file("abc123", "web", network);
    EXPECT_NE(hosts.find("192.0.2.10\tdb\n10.0.2.100\tabc123 web\n10.0.2.2\thost.containers.internal\n"),
              std::string::npos);
    auto bridged = hosts_with_address(container_hosts_file("abc123", "web"), "abc123", "web", "10.88.0.5");
    EXPECT_NE(bridged.find("\n10.88.0.5\tabc123 web\n"), std::string::npos);
    EXPECT_EQ(bridged.find("127.0.1.1"), std::string::npos);
    network.mode_nameservers = {"10.0.2.3"};
    EXPECT_EQ(container_resolv_conf("nameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch a.org\n", network),
              "search a.org\nnameserver 10.0.2.3\nnameserver 10.0.0.2\n");
    network.dns = {"192.0.2.53"};
    network.dns_search = {"."};
    network.dns_option = {"ndots:2"};
    EXPECT_EQ(container_resolv_conf("nameserver 10.0.0.2\nsearch a.org\n", network),
              "nameserver 192.0.2.53\noptions ndots:2\n");
    EtcNetwork host;
    host.host_network = true;
    EXPECT_EQ(container_resolv_conf("nameserver 127.0.0.53\n", host), "nameserver 127.0.0.53\n");
}

TEST(ContainerInspect, TimesAreRfc3339WithNanoseconds) {
    EXPECT_EQ(format_time_ns(0), "0001-01-01T00:00:00Z");
    EXPECT_EQ(format_time_ns(1'700'000'000'123'456'789), "2023-11-14T22:13:20.123456789Z");
}

}  // namespace
}  // namespace berth::engine

namespace berth::engine {
namespace {

TEST(ContainerLog, ChunksBecomeFullAndPartialLines) {
    int64_t time = 1'700'000'000'000'000'001;
    EXPECT_EQ(format_log_lines(LogStream::stdout_stream, "a\nb\n", time),
              "2023-11-14T22:13:20.000000001Z stdout F a\n2023-11-14T22:13:20.000000001Z stdout F b\n");
    EXPECT_EQ(format_log_lines(LogStream::stderr_stream, "tail", time),
              "2023-11-14T22:13:20.000000001Z stderr P tail\n");
    EXPECT_EQ(format_log_lines(LogStream::stdout_stream, "\n", time), "2023-11-14T22:13:20.000000001Z stdout F \n");
}

TEST(ContainerLog, LinesParseBack) {
    auto entry = parse_log_line("2023-11-14T22:13:20.000000001Z stderr P some text");
    ASSERT_TRUE(entry.has_value());
    EXPECT_EQ(entry->time_ns, 1'700'000'000'000'000'001);
    EXPECT_EQ(entry->stream, LogStream::stderr_stream);
    EXPECT_TRUE(entry->partial);
    EXPECT_EQ(entry->text, "some text");
    auto empty = parse_log_line("2023-11-14T22:13:20Z stdout F ");
    ASSERT_TRUE(empty.has_value());
    EXPECT_EQ(empty->text, "");
    EXPECT_EQ(empty->time_ns, 1'700'000'000'000'000'000);
    EXPECT_FALSE(parse_log_line("garbage").has_value());
    EXPECT_FALSE(parse_log_line("2023-11-14T22:13:20Z stdin F x").has_value());
    EXPECT_FALSE(parse_log_line("2023-11-14T22:13:20Z stdout X x").has_value());
}

TEST(ContainerLog, TheWriterStartsAnewAtTheSizeLimit) {
    TempDir scratch("/tmp", "container-log-test-");
    std::string path = scratch.path() + "/ctr.log";
    LogWriter writer(path, 200);
    for (int index = 0; index < 20; ++index) writer.write(LogStream::stdout_stream, "line\n");
    auto text = read_file(path);
    EXPECT_LE(text.size(), 200u);
    EXPECT_NE(text.find("stdout F line\n"), std::string::npos);
}

TEST(RestartPolicy, OnFailureCountsAndAStopByTheUserEndsIt) {
    storage::ContainerRecord record;
    record.restart_policy = "on-failure";
    record.restart_max = 3;
    EXPECT_FALSE(should_restart(record, 0));
    EXPECT_TRUE(should_restart(record, 1));
    record.restart_count = 3;
    EXPECT_FALSE(should_restart(record, 1));
    record.restart_policy = "always";
    EXPECT_TRUE(should_restart(record, 0));
    record.stopped_by_user = true;
    EXPECT_FALSE(should_restart(record, 0));
    record.stopped_by_user = false;
    record.restart_policy = "no";
    EXPECT_FALSE(should_restart(record, 1));
}

}  // namespace
}  // namespace berth::engine
