#include "storage/container_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <set>
#include <string>

#include "common/error.hpp"
#include "common/files.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::storage {
namespace {

using testing_support::error_of;

ContainerRecord record_named(const std::string& name) {
    ContainerRecord record;
    record.id = new_container_id();
    record.name = name;
    record.image_id = "sha256:" + std::string(64, 'a');
    record.command = {"sh", "-c", "true"};
    record.labels = {{"app", "web"}};
    return record;
}

class ContainerStoreTest : public ::testing::Test {
protected:
    TempDir scratch{"/tmp", "container-store-test-"};
    ContainerStore store{scratch.path()};
};

TEST_F(ContainerStoreTest, CreatedRecordsRoundTripAndAreFoundByNameIdAndPrefix) {
    auto record = record_named("web");
    record.state = ContainerState::exited;
    record.exit_code = 42;
    store.create(record);
    ASSERT_EQ(store.list().size(), 1u);
    EXPECT_EQ(store.list().front(), record);
    EXPECT_EQ(store.find("web"), record);
    EXPECT_EQ(store.find(record.id), record);
    EXPECT_EQ(store.find(record.id.substr(0, 12)), record);
    EXPECT_FALSE(store.find("other").has_value());
}

TEST_F(ContainerStoreTest, NamesAreUniqueWithPodmansMessage) {
    auto first = store.create(record_named("web"));
    auto message = error_of([&] { store.create(record_named("web")); });
    EXPECT_NE(message.find("the container name \"web\" is already in use by " + first.id), std::string::npos);
    EXPECT_EQ(store.list().size(), 1u);
}

TEST_F(ContainerStoreTest, InvalidNamesAreRefused) {
    EXPECT_NE(error_of([&] { store.create(record_named("-bad")); }).find("names must match"), std::string::npos);
    EXPECT_NE(error_of([&] { store.create(record_named("a/b")); }).find("names must match"), std::string::npos);
    EXPECT_TRUE(valid_container_name("web_1.a-b"));
}

TEST_F(ContainerStoreTest, AFailedPrepareLeavesNothing) {
    auto record = record_named("broken");
    auto message = error_of([&] {
        store.create(record, [](const ContainerPaths& paths, ContainerRecord&) {
            write_file_atomic(paths.spec, "{}");
            throw Error("no rootfs");
        });
    });
    EXPECT_EQ(message, "no rootfs");
    EXPECT_TRUE(store.list().empty());
    EXPECT_FALSE(path_exists(store.paths_of(record.id).directory));
}

TEST_F(ContainerStoreTest, PrepareCompletesTheRecord) {
    auto created = store.create(record_named("prepared"), [](const ContainerPaths&, ContainerRecord& record) {
        record.command = {"echo", "filled"};
    });
    EXPECT_EQ(created.command, (std::vector<std::string>{"echo", "filled"}));
    EXPECT_EQ(store.find("prepared")->command, created.command);
}

// Names that are not hex digits, so that they cannot also be id prefixes.
TEST_F(ContainerStoreTest, UpdateChangesOneRecordAndRemoveTakesItAway) {
    auto record = store.create(record_named("alpha"));
    store.create(record_named("beta"));
    store.update(record.id, [](ContainerRecord& changed) {
        changed.state = ContainerState::running;
        changed.pid = 1234;
    });
    EXPECT_EQ(store.find("alpha")->state, ContainerState::running);
    EXPECT_EQ(store.find("alpha")->pid, 1234);
    EXPECT_EQ(store.find("beta")->state, ContainerState::created);
    std::string removed;
    store.remove(record.id, [&](const std::string& path) {
        removed = path;
        remove_tree(path);
    });
    EXPECT_EQ(removed, store.paths_of(record.id).directory);
    EXPECT_FALSE(store.find("alpha").has_value());
    EXPECT_NE(error_of([&] { store.update(record.id, [](ContainerRecord&) {}); }).find("no such container"),
              std::string::npos);
}

TEST_F(ContainerStoreTest, RenameMovesTheNameAndRemoveFreesIt) {
    auto alpha = store.create(record_named("alpha"));
    auto beta = store.create(record_named("beta"));
    store.rename(alpha.id, "gamma");
    EXPECT_EQ(store.find("gamma")->id, alpha.id);
    EXPECT_FALSE(store.find("alpha").has_value());
    auto again = store.create(record_named("alpha"));  // the old name is free
    EXPECT_NE(error_of([&] { store.rename(alpha.id, "beta"); }).find("is already in use by " + beta.id),
              std::string::npos);
    EXPECT_EQ(store.find("gamma")->id, alpha.id);
    store.update(alpha.id, [](ContainerRecord& changed) { changed.name = "sneaky"; });  // only rename renames
    EXPECT_EQ(store.find("gamma")->id, alpha.id);
    EXPECT_FALSE(store.find("sneaky").has_value());
    store.remove(again.id, remove_tree);
    EXPECT_FALSE(store.find("alpha").has_value());
    EXPECT_EQ(store.create(record_named("alpha")).name, "alpha");
}

TEST_F(ContainerStoreTest, ANameLeftBehindByACrashIsFree) {
    auto web = store.create(record_named("web"));
    std::string names = store.containers_dir() + "/names";
    // A crash between the name and the record of a create: the name points at no record.
    ASSERT_EQ(::symlink(new_container_id().c_str(), (names + "/ghost").c_str()), 0);
    // A crash in the middle of a rename: the name points at a record of another name.
    ASSERT_EQ(::symlink(web.id.c_str(), (names + "/half").c_str()), 0);
    EXPECT_FALSE(store.find("ghost").has_value());
    EXPECT_FALSE(store.find("half").has_value());
    EXPECT_EQ(store.create(record_named("ghost")).name, "ghost");
    EXPECT_EQ(store.create(record_named("half")).name, "half");
    EXPECT_EQ(store.find("web")->id, web.id);
    EXPECT_EQ(store.list().size(), 3u);
}

TEST_F(ContainerStoreTest, AStoreWithoutTheNameIndexGetsOneAndKeepsItsNames) {
    auto old = store.create(record_named("old"));
    remove_tree(store.containers_dir() + "/names");  // a store written before the index
    EXPECT_EQ(store.find("old")->id, old.id);
    EXPECT_NE(error_of([&] { store.create(record_named("old")); }).find("is already in use by " + old.id),
              std::string::npos);
    EXPECT_TRUE(path_exists(store.containers_dir() + "/names/old"));
    store.create(record_named("new"));
    EXPECT_EQ(store.list().size(), 2u);
}

TEST_F(ContainerStoreTest, ListIsOldestFirstWhateverTheDirectoryOrder) {
    // Creation times in an order unrelated to the ids (the directory's order), ties broken by id.
    const int64_t times[] = {50, 10, 40, 10, 30, 20, 60, 0, 20, 45, 5, 15};
    for (size_t index = 0; index < std::size(times); ++index) {
        auto record = record_named("c" + std::to_string(index));
        record.created_ns = times[index];
        store.create(record);
    }
    auto listed = store.list();
    ASSERT_EQ(listed.size(), std::size(times));
    for (size_t index = 1; index < listed.size(); ++index) {
        const auto& before = listed[index - 1];
        const auto& after = listed[index];
        EXPECT_TRUE(before.created_ns < after.created_ns ||
                    (before.created_ns == after.created_ns && before.id < after.id));
    }
    std::set<std::string> names;
    for (const auto& record : listed) names.insert(record.name);
    EXPECT_EQ(names.size(), std::size(times));
}

TEST_F(ContainerStoreTest, AnAmbiguousPrefixIsAnError) {
    // Ids that share their first digit, made by hand.
    auto a = record_named("a");
    auto b = record_named("b");
    a.id = "f" + a.id.substr(1);
    b.id = "f" + b.id.substr(1);
    store.create(a);
    store.create(b);
    EXPECT_NE(error_of([&] { store.find("f"); }).find("more than one result"), std::string::npos);
}

TEST_F(ContainerStoreTest, AnUnreadableRecordIsSkipped) {
    auto good = store.create(record_named("good"));
    auto bad = record_named("bad");
    make_directories(store.paths_of(bad.id).directory);
    write_file_atomic(store.paths_of(bad.id).record, "{not json");
    auto listed = store.list();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed.front().id, good.id);
}

TEST_F(ContainerStoreTest, ConcurrentCreatesWithOneNameLeaveOneContainer) {
    constexpr int processes = 8;
    std::vector<pid_t> children;
    for (int index = 0; index < processes; ++index) {
        pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            int status = 0;
            try {
                ContainerStore own(scratch.path());
                own.create(record_named("same"));
                own.create(record_named("own-" + std::to_string(index)));
            } catch (const Error&) {
                status = 1;
            }
            ::_exit(status);
        }
        children.push_back(child);
    }
    int failures = 0;
    for (pid_t child : children) {
        int status = 0;
        ::waitpid(child, &status, 0);
        failures += WEXITSTATUS(status) != 0;
    }
    EXPECT_EQ(failures, processes - 1);
    std::set<std::string> names;
    for (const auto& record : store.list()) names.insert(record.name);
    EXPECT_EQ(names.count("same"), 1u);
    EXPECT_EQ(names.size(), 2u);  // "same" and the one winner's own name
}

TEST(ContainerIds, AreRandom64HexDigitsAndNamesLookLikePodmans) {
    auto a = new_container_id();
    auto b = new_container_id();
    EXPECT_EQ(a.size(), 64u);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
    auto name = random_container_name();
    EXPECT_NE(name.find('_'), std::string::npos);
    EXPECT_TRUE(valid_container_name(name));
}

TEST(ContainerStates, HaveNamesBothWays) {
    for (auto state :
         {ContainerState::created, ContainerState::running, ContainerState::stopped, ContainerState::exited})
        EXPECT_EQ(parse_state(state_name(state)), state);
    EXPECT_FALSE(parse_state("zombie").has_value());
}

}  // namespace
}  // namespace berth::storage
