#include "engine/image_users.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>

#include "common/error.hpp"
#include "common/files.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::engine {
namespace {

const char* const passwd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "# a comment:x:7:7::/nowhere:/bin/sh\n"
    "\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "broken:x:notanumber:1::/:/bin/sh\n"
    "  www:x:33:33:www-data:/var/www:/bin/sh  \n"
    "nohome:x:40:40\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "www:x:99:99:second www, ignored:/x:/bin/sh\n";

const char* const group =
    "root:x:0:\n"
    "wheel:x:10:root,www\n"
    "tty:x:5:\n"
    "www:x:33:\n"
    "staff:x:50: www , daemon\n"
    "audio:x:29:daemon\n"
    "nogroup:x:65534:\n";

using testing_support::error_of;

ImageUser resolve(std::string_view spec, const std::vector<std::string>& group_add = {}) {
    return resolve_user(spec, std::string(passwd), std::string(group), group_add);
}

TEST(ResolveUser, EmptySpecIsRootWithItsGroups) {
    auto user = resolve("");
    EXPECT_EQ(user.uid, 0u);
    EXPECT_EQ(user.gid, 0u);
    EXPECT_EQ(user.name, "root");
    EXPECT_EQ(user.home, "/root");
    EXPECT_EQ(user.additional_gids, (std::vector<uint32_t>{10}));
}

TEST(ResolveUser, ByNameAndByNumber) {
    struct Case {
        const char* spec;
        uint32_t uid, gid;
        const char* name;
        const char* home;
        std::vector<uint32_t> groups;
        bool group_given;
    };
    const Case cases[] = {
        {"www", 33, 33, "www", "/var/www", {10, 50}, false},  // first entry wins, groups listing it by name
        {"33", 33, 33, "www", "/var/www", {10, 50}, false},   // a number finds the entry too
        {"daemon", 1, 1, "daemon", "/usr/sbin", {50, 29}, false},
        {"nohome", 40, 40, "nohome", "/", {}, false},         // no home field: "/"
        {"1234", 1234, 0, "", "/", {}, false},                // a number without an entry
        {"www:wheel", 33, 10, "www", "/var/www", {}, true},   // a named group: no supplementary groups
        {"www:5", 33, 5, "www", "/var/www", {}, true},        // a numeric group with an entry
        {"www:4242", 33, 4242, "www", "/var/www", {}, true},  // a numeric group without one
        {"1234:1234", 1234, 1234, "", "/", {}, true},
        {"0", 0, 0, "root", "/root", {10}, false},
        {"root:", 0, 0, "root", "/root", {10}, false},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.spec);
        auto user = resolve(c.spec);
        EXPECT_EQ(user.uid, c.uid);
        EXPECT_EQ(user.gid, c.gid);
        EXPECT_EQ(user.name, c.name);
        EXPECT_EQ(user.home, c.home);
        EXPECT_EQ(user.additional_gids, c.groups);
        EXPECT_EQ(user.group_given, c.group_given);
    }
}

TEST(ResolveUser, GroupAddTakesNamesAndNumbersWithoutDuplicates) {
    auto user = resolve("www", {"audio", "10", "777", "nogroup", "wheel"});
    EXPECT_EQ(user.additional_gids, (std::vector<uint32_t>{10, 50, 29, 777, 65534}));
}

TEST(ResolveUser, ErrorsInPodmansWords) {
    EXPECT_EQ(error_of([] { resolve("ghost"); }), "unable to find user ghost: no matching entries in passwd file");
    EXPECT_EQ(error_of([] { resolve("www:ghosts"); }),
              "unable to find group ghosts: no matching entries in group file");
    EXPECT_EQ(error_of([] { resolve("www", {"ghosts"}); }),
              "unable to find group ghosts: no matching entries in group file");
    EXPECT_EQ(error_of([] { resolve("4294967296"); }),
              "invalid id \"4294967296\": uids and gids must be in range 0-2147483647");
    EXPECT_EQ(error_of([] { resolve("-1"); }), "invalid id \"-1\": uids and gids must be in range 0-2147483647");
    EXPECT_EQ(error_of([] { resolve("www:2147483648"); }),
              "invalid id \"2147483648\": uids and gids must be in range 0-2147483647");
    // A commented-out or malformed entry is no user.
    EXPECT_EQ(error_of([] { resolve("broken"); }), "unable to find user broken: no matching entries in passwd file");
    EXPECT_EQ(error_of([] { resolve("# a comment"); }),
              "unable to find user # a comment: no matching entries in passwd file");
}

TEST(ResolveUser, WithoutFilesNumbersStillWork) {
    auto user = resolve_user("1000:1000", std::nullopt, std::nullopt, {"20"});
    EXPECT_EQ(user.uid, 1000u);
    EXPECT_EQ(user.gid, 1000u);
    EXPECT_EQ(user.home, "/");
    EXPECT_EQ(user.additional_gids, (std::vector<uint32_t>{20}));
    EXPECT_EQ(resolve_user("", std::nullopt, std::nullopt).uid, 0u);
    EXPECT_EQ(error_of([] { resolve_user("www", std::nullopt, std::nullopt); }),
              "unable to find user www: no matching entries in passwd file");
    EXPECT_EQ(error_of([] { resolve_user("0", std::nullopt, std::nullopt, {"wheel"}); }),
              "unable to find group wheel: no matching entries in group file");
}

class ImageRootfsTest : public ::testing::Test {
protected:
    void SetUp() override {
        const char* tmp = std::getenv("TMPDIR");
        base_ = std::make_unique<TempDir>(tmp ? tmp : "/tmp", "berth-users-test-");
        rootfs_ = base_->path() + "/rootfs";
        make_directories(rootfs_ + "/etc");
    }
    void write(const std::string& path, const std::string& content) {
        make_directories(std::filesystem::path(path).parent_path().string());
        write_file_atomic(path, content);
    }
    std::unique_ptr<TempDir> base_;
    std::string rootfs_;
};

TEST_F(ImageRootfsTest, LooksUpTheImagesFiles) {
    write(rootfs_ + "/etc/passwd", passwd);
    write(rootfs_ + "/etc/group", group);
    auto user = lookup_image_user(rootfs_, "www", {"audio"});
    EXPECT_EQ(user.uid, 33u);
    EXPECT_EQ(user.home, "/var/www");
    EXPECT_EQ(user.additional_gids, (std::vector<uint32_t>{10, 50, 29}));
}

TEST_F(ImageRootfsTest, SymlinksResolveInsideTheRootfs) {
    // Outside the rootfs: a passwd a symlink must never reach.
    write(base_->path() + "/secret", "evil:x:0:0::/:/bin/sh\n");
    ASSERT_EQ(::symlink("../../secret", (rootfs_ + "/etc/passwd").c_str()), 0);
    ASSERT_EQ(::symlink("/../../../secret", (rootfs_ + "/etc/group").c_str()), 0);
    EXPECT_EQ(read_file_in_root(rootfs_, "/etc/passwd"), std::nullopt);
    EXPECT_EQ(read_file_in_root(rootfs_, "/etc/group"), std::nullopt);
    EXPECT_EQ(error_of([&] { lookup_image_user(rootfs_, "evil"); }),
              "unable to find user evil: no matching entries in passwd file");

    // An absolute symlink inside the image points into the image.
    write(rootfs_ + "/secret", "good:x:7:8::/home/good:/bin/sh\n");
    auto user = lookup_image_user(rootfs_, "good");
    EXPECT_EQ(user.uid, 7u);
    EXPECT_EQ(user.gid, 8u);
}

TEST_F(ImageRootfsTest, MissingFilesAndOtherFileTypes) {
    EXPECT_EQ(read_file_in_root(rootfs_, "/etc/passwd"), std::nullopt);
    EXPECT_EQ(lookup_image_user(rootfs_, "123:456").uid, 123u);
    ASSERT_EQ(::mkfifo((rootfs_ + "/etc/passwd").c_str(), 0644), 0);
    EXPECT_EQ(error_of([&] { lookup_image_user(rootfs_, "www"); }),
              "reading /etc/passwd in root file system " + rootfs_ + ": not a regular file");
    EXPECT_EQ(error_of([&] { read_file_in_root(base_->path() + "/missing", "/etc/passwd"); }),
              "opening root file system " + base_->path() + "/missing: No such file or directory");
    write(rootfs_ + "/big", std::string(100, 'x'));
    EXPECT_EQ(error_of([&] { read_file_in_root(rootfs_, "/big", 10); }),
              "reading /big in root file system " + rootfs_ + ": larger than 10 bytes");
    EXPECT_EQ(read_file_in_root(rootfs_, "big"), std::string(100, 'x'));
}

}  // namespace
}  // namespace berth::engine
