#include "storage/container_record_codec.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "common/error.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::storage {
namespace {

using testing_support::error_of;

const std::string an_id(64, 'c');

ContainerRecord every_field_set() {
    ContainerRecord record;
    record.id = an_id;
    record.name = "web";
    record.image_id = "sha256:" + std::string(64, 'a');
    record.image_name = "localhost:5000/busybox:latest";
    record.command = {"sh", "-c", "echo \"quoted\" \\ and ünïcode"};
    record.create_command = {"/usr/bin/berth", "--root", "/r", "run", "-d", "--name", "web", "busybox", "top"};
    record.create_arguments = 2;
    record.created_ns = 1'700'000'000'123'456'789;
    record.labels = {{"app", "web"}, {"tier", ""}};
    record.driver = "vfs";
    record.layers = {"sha256:" + std::string(64, 'b'), "sha256:" + std::string(64, 'd')};
    record.volumes = {"data", std::string(64, 'e')};
    record.remove_after_exit = true;
    record.stop_signal = "SIGQUIT";
    record.tty = true;
    record.interactive = true;
    record.rootless = true;
    record.seccomp_profile = "unconfined";
    record.restart_policy = "on-failure";
    record.restart_max = 3;
    record.restart_count = 2;
    record.stopped_by_user = true;
    record.log_max_size = 1 << 20;
    record.network = "slirp4netns:port_handler=slirp4netns";
    record.pod = std::string(64, 'c');
    record.ports = {{"127.0.0.1", 80, 8080, 1, "tcp"}, {"", 53, 5353, 2, "udp"}};
    record.state = ContainerState::exited;
    record.pid = 4242;
    record.pid_start_time = 123456789012;
    record.monitor_pid = 4241;
    record.monitor_start_time = 123456789000;
    record.boot_id = "2b3c4d5e-0000-4000-8000-000000000000";
    record.started_ns = 1'700'000'001'000'000'000;
    record.finished_ns = 1'700'000'002'000'000'000;
    record.exit_code = 137;
    record.error = "oci runtime error";
    return record;
}

TEST(ContainerRecordCodec, EveryFieldRoundTrips) {
    auto record = every_field_set();
    EXPECT_EQ(decode_container_record(encode_container_record(record)), record);
    ContainerRecord plain;
    plain.id = an_id;
    plain.name = "plain";
    plain.driver = "overlay";
    EXPECT_EQ(decode_container_record(encode_container_record(plain)), plain);
}

TEST(ContainerRecordCodec, AbsentFieldsTakeDefaultsAndUnknownOnesAreSkipped) {
    auto record = decode_container_record(R"({"future": {"nested": [1, {"deep": "x"}, [true]]}, "id": ")" + an_id +
                                          R"(", "extra": [["a"], {"b": null}], "name": "web", "later": 1.5,
                                             "command": ["true"], "more": null})");
    EXPECT_EQ(record.id, an_id);
    EXPECT_EQ(record.name, "web");
    EXPECT_EQ(record.command, std::vector<std::string>{"true"});
    EXPECT_EQ(record.driver, "overlay");  // records from before the vfs driver
    EXPECT_EQ(record.stop_signal, "SIGTERM");
    EXPECT_EQ(record.restart_policy, "no");
    EXPECT_EQ(record.state, ContainerState::created);
    EXPECT_TRUE(record.labels.empty());
    EXPECT_TRUE(record.ports.empty());
}

TEST(ContainerRecordCodec, MalformedRecordsAreErrorsThatSayWhy) {
    std::string id_field = R"("id": ")" + an_id + R"(")";
    EXPECT_NE(error_of([] { decode_container_record("{not json"); }), "no error");
    EXPECT_NE(error_of([] { decode_container_record(R"({"id": "abc", "name": "x"})"); }).find("not 64 hex digits"),
              std::string::npos);
    EXPECT_NE(error_of([&] { decode_container_record("{" + id_field + "}"); }).find("no name"), std::string::npos);
    EXPECT_NE(error_of([] { decode_container_record(R"({"name": "x"})"); }).find("no id"), std::string::npos);
    EXPECT_NE(error_of([] { decode_container_record("[1, 2]"); }).find("not a JSON object"), std::string::npos);
    EXPECT_NE(error_of([] { decode_container_record("42"); }).find("not a JSON object"), std::string::npos);
    EXPECT_NE(error_of([&] {
                  decode_container_record("{" + id_field + R"(, "name": "x", "pid": "12"})");
              }).find("\"pid\" cannot be a string"),
              std::string::npos);
    EXPECT_NE(error_of([&] { decode_container_record("{" + id_field + R"(, "name": 7})"); }).find("\"name\""),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  decode_container_record("{" + id_field + R"(, "name": "x", "command": "true"})");
              }).find("\"command\""),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  decode_container_record("{" + id_field + R"(, "name": "x", "labels": ["a"]})");
              }).find("\"labels\""),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  decode_container_record("{" + id_field + R"(, "name": "x", "state": "flying"})");
              }).find("unknown state \"flying\""),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  decode_container_record("{" + id_field + R"(, "name": "x", "pid": 99999999999})");
              }).find("out of range"),
              std::string::npos);
    EXPECT_NE(error_of([&] {
                  decode_container_record("{" + id_field + R"(, "name": "x", "ports": [{"host_port": 70000}]})");
              }).find("out of range"),
              std::string::npos);
}

}  // namespace
}  // namespace berth::storage
