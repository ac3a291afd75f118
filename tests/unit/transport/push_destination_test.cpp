#include "transport/push_destination.hpp"

#include <gtest/gtest.h>

#include "tests/unit/error_of.hpp"

namespace berth::transport {
namespace {

using testing_support::error_of;

TEST(PushDestination, DockerTransportAndBareNamesAreNormalized) {
    EXPECT_EQ(parse_push_destination("docker://127.0.0.1:5000/team/app:1").to_string(), "127.0.0.1:5000/team/app:1");
    EXPECT_EQ(parse_push_destination("localhost:5000/app").to_string(), "localhost:5000/app:latest");
    EXPECT_EQ(parse_push_destination("docker://busybox").to_string(), "docker.io/library/busybox:latest");
}

TEST(PushDestination, OtherTransportsAreRefusedClearly) {
    EXPECT_EQ(error_of([] { parse_push_destination("oops://x"); }),
              "Invalid image name \"oops://x\", unknown transport \"oops\"");
    EXPECT_EQ(error_of([] { parse_push_destination("oci:/tmp/layout:1"); }),
              "oci:/tmp/layout:1: the oci transport is not supported by push yet");
    EXPECT_EQ(error_of([] { parse_push_destination("docker-archive:/tmp/a.tar"); }),
              "docker-archive:/tmp/a.tar: the docker-archive transport is not supported by push yet");
}

TEST(PushDestination, MalformedNamesFail) {
    EXPECT_NE(error_of([] { parse_push_destination("docker://Bad/Name"); }), "no error");
}

}  // namespace
}  // namespace berth::transport
