#include "volumes/volume_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "common/error.hpp"
#include "common/files.hpp"
#include "storage/container_store.hpp"
#include "tests/unit/error_of.hpp"
#include "volumes/volume_users.hpp"

namespace berth::volumes {
namespace {

using testing_support::error_of;

VolumeRecord named(const std::string& name) {
    VolumeRecord record;
    record.name = name;
    return record;
}

class VolumeStoreTest : public ::testing::Test {
protected:
    TempDir scratch{"/tmp", "volume-store-test-"};
    VolumeStore store{scratch.path()};
    std::string volumes_dir() const { return scratch.path() + "/volumes"; }
};

TEST_F(VolumeStoreTest, CreatesTheRecordAndAnEmptyDataDirectory) {
    auto record = named("data");
    record.labels = {{"app", "web"}};
    auto created = store.create(record);
    EXPECT_GT(created.created_ns, 0);
    auto paths = store.paths_of("data");
    EXPECT_EQ(paths.data, volumes_dir() + "/data/_data");
    struct stat status {};
    ASSERT_EQ(::stat(paths.data.c_str(), &status), 0);
    EXPECT_TRUE(S_ISDIR(status.st_mode));
    EXPECT_EQ(status.st_mode & 07777, 0755u);
    EXPECT_TRUE(list_directory(paths.data).empty());
    EXPECT_EQ(store.find("data"), created);
    EXPECT_EQ(store.list().size(), 1u);
    EXPECT_FALSE(store.find("other"));
}

TEST_F(VolumeStoreTest, RefusesTakenAndInvalidNames) {
    store.create(named("data"));
    EXPECT_EQ(error_of([&] { store.create(named("data")); }),
              "volume with name data already exists: volume already exists");
    EXPECT_NE(error_of([&] { store.create(named("../x")); }), "no error");
    EXPECT_EQ(store.list().size(), 1u);
}

TEST_F(VolumeStoreTest, RemoveDeletesVolumeAndData) {
    store.create(named("data"));
    write_file_atomic(store.paths_of("data").data + "/file", "x");
    store.remove("data");
    EXPECT_FALSE(store.find("data"));
    EXPECT_TRUE(list_directory(volumes_dir()).empty());
    try {
        store.remove("data");
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "no volume with name \"data\" found: no such volume");
        EXPECT_EQ(error.exit_status(), 1);
    }
}

// What a kill -9 in the middle of create or rm leaves: a staging or doomed directory, never a listed volume, and
// the next change deletes it.
TEST_F(VolumeStoreTest, LeftoversOfInterruptedChangesAreNeverListedAndAreCleanedUp) {
    store.create(named("kept"));
    make_directories(volumes_dir() + "/.create-abc123/_data");
    write_file_atomic(volumes_dir() + "/.create-abc123/volume.json", R"({"name":"half"})");
    make_directories(volumes_dir() + "/.remove-gone-xyz789/_data/sub");
    write_file_atomic(volumes_dir() + "/.remove-gone-xyz789/volume.json", R"({"name":"gone"})");
    ASSERT_EQ(store.list().size(), 1u);
    EXPECT_FALSE(store.find("half"));
    EXPECT_FALSE(store.find("gone"));
    store.create(named("new"));
    EXPECT_EQ(list_directory(volumes_dir()), (std::vector<std::string>{"kept", "new"}));
}

TEST_F(VolumeStoreTest, ARecordOfAnotherNameOrGarbageIsSkipped) {
    store.create(named("good"));
    make_directories(volumes_dir() + "/bad/_data");
    write_file_atomic(volumes_dir() + "/bad/volume.json", "{not json");
    make_directories(volumes_dir() + "/noRecord/_data");
    auto listed = store.list();
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed.front().name, "good");
}

TEST_F(VolumeStoreTest, CopyUpFillsAnEmptyVolumeOnceAndLeavesNoStaging) {
    store.create(named("data"));
    int calls = 0;
    auto fill = [&](const std::string& staging) {
        ++calls;
        make_directories(staging, 0750);
        write_file_atomic(staging + "/motd", "hello");
        return true;
    };
    store.copy_up("data", fill);
    auto paths = store.paths_of("data");
    EXPECT_EQ(read_file(paths.data + "/motd"), "hello");
    struct stat status {};
    ASSERT_EQ(::stat(paths.data.c_str(), &status), 0);
    EXPECT_EQ(status.st_mode & 07777, 0750u);
    EXPECT_FALSE(store.find("data")->needs_copy_up);
    EXPECT_EQ(list_directory(paths.directory), (std::vector<std::string>{"_data", "volume.json"}));
    store.copy_up("data", fill);
    EXPECT_EQ(calls, 1);
}

TEST_F(VolumeStoreTest, CopyUpKeepsWhatAVolumeHasAndClearsAnInterruptedStaging) {
    store.create(named("data"));
    auto paths = store.paths_of("data");
    make_directories(paths.directory + "/.copy-up/half");  // a copy-up killed midway
    write_file_atomic(paths.data + "/mine", "kept");
    store.copy_up("data", [](const std::string& staging) {
        make_directories(staging);
        write_file_atomic(staging + "/image-file", "x");
        return true;
    });
    EXPECT_EQ(list_directory(paths.data), (std::vector<std::string>{"mine"}));
    EXPECT_EQ(list_directory(paths.directory), (std::vector<std::string>{"_data", "volume.json"}));
    EXPECT_FALSE(store.find("data")->needs_copy_up);
}

TEST_F(VolumeStoreTest, ChownHappensOnceAndNotAfterACopyUp) {
    store.create(named("fresh"));
    int calls = 0;
    auto chown = [&](const std::string& data) {
        EXPECT_EQ(data, store.paths_of("fresh").data);
        ++calls;
    };
    store.chown_once("fresh", chown);
    store.chown_once("fresh", chown);
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(store.find("fresh")->needs_chown);

    store.create(named("copied"));
    store.copy_up("copied", [](const std::string& staging) {
        make_directories(staging);
        return true;
    });
    EXPECT_FALSE(store.find("copied")->needs_chown);
    store.create(named("nothing"));
    store.copy_up("nothing", [](const std::string&) { return false; });
    EXPECT_TRUE(store.find("nothing")->needs_chown);  // the image had nothing there: the user still gets it
}

TEST_F(VolumeStoreTest, DataPathsNameTheirVolume) {
    EXPECT_EQ(store.volume_of_data_path(volumes_dir() + "/data/_data"), "data");
    EXPECT_FALSE(store.volume_of_data_path(volumes_dir() + "/data"));
    EXPECT_FALSE(store.volume_of_data_path("/srv/data/_data"));
    EXPECT_FALSE(store.volume_of_data_path(volumes_dir() + "/a/b/_data"));
}

TEST_F(VolumeStoreTest, UsersAreTheContainersListingTheVolume) {
    store.create(named("data"));
    auto anonymous = named(std::string(64, 'a'));
    anonymous.anonymous = true;
    store.create(anonymous);
    storage::ContainerStore containers(scratch.path());
    storage::ContainerRecord record;
    record.id = storage::new_container_id();
    record.name = "web";
    record.volumes = {"data", anonymous.name};
    containers.create(record);
    EXPECT_EQ(containers_using(scratch.path(), "data"), std::vector<std::string>{record.id});
    EXPECT_EQ(error_of([&] { throw_volume_in_use("data", {record.id}); }),
              "volume data is being used by the following container(s): " + record.id + ": volume is being used");
    remove_anonymous_volumes(scratch.path(), record.volumes, {});
    EXPECT_TRUE(store.find(anonymous.name));  // still used
    containers.remove(record.id, [](const std::string& path) { remove_tree(path); });
    remove_anonymous_volumes(scratch.path(), record.volumes, {});
    EXPECT_FALSE(store.find(anonymous.name));
    EXPECT_TRUE(store.find("data"));  // named volumes stay
}

}  // namespace
}  // namespace berth::volumes
