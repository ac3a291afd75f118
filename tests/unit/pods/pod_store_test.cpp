#include "pods/pod_store.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/files.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::pods {
namespace {

using testing_support::error_of;

PodRecord named(const std::string& name, int64_t created = 0) {
    PodRecord record;
    record.name = name;
    record.created_ns = created;
    return record;
}

class PodStoreTest : public ::testing::Test {
protected:
    TempDir scratch{"/tmp", "pod-store-test-"};
    PodStore store{scratch.path()};
};

TEST_F(PodStoreTest, CreateGivesAnIdAndKeepsEveryField) {
    PodRecord record = named("web", 5);
    record.labels = {{"app", "web"}};
    record.shared = {"ipc", "net"};
    record.infra_id = std::string(64, 'a');
    record.hostname = "host1";
    record.network = "slirp4netns";
    record.infra_command = {"/catatonit", "-P"};
    record.add_hosts = {{"db", "10.0.0.2"}};
    record.publish = {"8080:80"};
    record.exit_policy = "stop";
    auto created = store.create(record);
    EXPECT_EQ(created.id.size(), 64u);
    record.id = created.id;
    EXPECT_EQ(store.find("web"), record);
    EXPECT_EQ(store.find(created.id.substr(0, 12)), record);
    EXPECT_EQ(store.get(created.id), record);
}

TEST_F(PodStoreTest, NamesAreUnique) {
    store.create(named("web"));
    EXPECT_EQ(error_of([&] { store.create(named("web")); }),
              "adding pod to state: name \"web\" is in use: pod already exists");
    EXPECT_NE(error_of([&] { store.create(named("-bad")); }), "no error");
}

TEST_F(PodStoreTest, MissingPodsSayNoSuchPodWithTheAskedStatus) {
    EXPECT_FALSE(store.find("nosuch"));
    try {
        store.get("nosuch", 1);
        FAIL();
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "no pod with name or ID nosuch found: no such pod");
        EXPECT_EQ(error.exit_status(), 1);
    }
}

TEST_F(PodStoreTest, ListIsOldestFirstAndSkipsHalfMadeDirectories) {
    store.create(named("second", 20));
    store.create(named("first", 10));
    make_directories(store.pods_dir() + "/" + std::string(64, 'b'));
    auto pods = store.list();
    ASSERT_EQ(pods.size(), 2u);
    EXPECT_EQ(pods[0].name, "first");
    EXPECT_EQ(pods[1].name, "second");
}

TEST_F(PodStoreTest, UpdateKeepsIdAndNameAndRemoveDeletes) {
    auto pod = store.create(named("web"));
    store.update(pod.id, [](PodRecord& changed) {
        changed.name = "other";
        changed.infra_id = "x";
    });
    auto found = store.find("web");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->infra_id, "x");
    store.remove(pod.id);
    EXPECT_FALSE(store.find("web"));
    EXPECT_FALSE(path_exists(store.pods_dir() + "/" + pod.id));
    EXPECT_NE(error_of([&] { store.update(pod.id, [](PodRecord&) {}); }), "no error");
}

TEST(PodExitPolicy, ContinueOrStop) {
    EXPECT_EQ(parse_exit_policy(""), "continue");
    EXPECT_EQ(parse_exit_policy("stop"), "stop");
    EXPECT_EQ(error_of([] { parse_exit_policy("invalid"); }),
              "running pod create option: invalid pod exit policy: \"invalid\"");
}

TEST(PodShare, DefaultReplaceAddAndNone) {
    EXPECT_EQ(parse_share("ipc,net"), (std::vector<std::string>{"ipc", "net"}));
    EXPECT_EQ(parse_share("+pid"), (std::vector<std::string>{"ipc", "net", "uts", "pid"}));
    EXPECT_EQ(parse_share("none"), std::vector<std::string>{});
    EXPECT_EQ(parse_share("net,cgroup,net"), std::vector<std::string>{"net"});
    EXPECT_EQ(error_of([] { parse_share("ipc,mnt"); }),
              "share option \"mnt\" is not a valid namespace: invalid argument");
}

}  // namespace
}  // namespace berth::pods
