#include "pods/pod_filter.hpp"

#include <gtest/gtest.h>

#include "pods/pod_status.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::pods {
namespace {

using testing_support::error_of;

PodRecord pod() {
    PodRecord record;
    record.id = "abcdef" + std::string(58, '0');
    record.name = "webpod";
    record.labels = {{"app", "web"}, {"tier", ""}};
    return record;
}

bool matches(const std::vector<std::string>& terms, const PodFacts& facts = {"Running", {"c1"}, {"1234"}}) {
    return pod_matches(parse_pod_filter(terms), pod(), facts);
}

TEST(PodFilter, NameIdLabelStatus) {
    EXPECT_TRUE(matches({}));
    EXPECT_TRUE(matches({"name=web"}));
    EXPECT_TRUE(matches({"name=^webpod$"}));
    EXPECT_FALSE(matches({"name=^web$"}));
    EXPECT_TRUE(matches({"name=nope", "name=web"}));
    EXPECT_TRUE(matches({"id=abc"}));
    EXPECT_FALSE(matches({"id=bcd"}));
    EXPECT_TRUE(matches({"label=app=web", "label=tier"}));
    EXPECT_FALSE(matches({"label=app=web", "label=other"}));
    EXPECT_FALSE(matches({"label=app=db"}));
    EXPECT_TRUE(matches({"status=running"}));
    EXPECT_FALSE(matches({"status=exited"}));
    EXPECT_FALSE(matches({"name=web", "status=exited"}));
    EXPECT_TRUE(matches({"ctr-names=c1", "ctr-ids=12", "ctr-number=1"}));
}

TEST(PodFilter, PodmansErrors) {
    EXPECT_EQ(error_of([] { parse_pod_filter({"colour=red"}); }), "colour is an invalid filter");
    EXPECT_EQ(error_of([] { parse_pod_filter({"status=sleepy"}); }), "sleepy is not a valid status");
}

TEST(PodStatus, FromContainerStates) {
    EXPECT_EQ(pod_status({}), "Created");
    EXPECT_EQ(pod_status({"running", "running"}), "Running");
    EXPECT_EQ(pod_status({"running", "exited"}), "Degraded");
    EXPECT_EQ(pod_status({"created", "created"}), "Created");
    EXPECT_EQ(pod_status({"exited", "stopped"}), "Exited");
    EXPECT_EQ(pod_status({"stopped"}), "Stopped");
    EXPECT_EQ(pod_status({"paused", "paused"}), "Paused");
    EXPECT_EQ(pod_status({"created", "exited"}), "Exited");
}

}  // namespace
}  // namespace berth::pods
