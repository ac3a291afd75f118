#include "builder/copy_sources.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "../error_of.hpp"
#include "common/files.hpp"

namespace berth::builder {
namespace {

using testing_support::error_of;

class CopySources : public ::testing::Test {
protected:
    void SetUp() override {
        make_directories(context() + "/dir/sub");
        write_file_atomic(context() + "/a.txt", "a");
        write_file_atomic(context() + "/b.txt", "b");
        write_file_atomic(context() + "/dir/sub/c.txt", "c", 0600);
        write_file_atomic(context() + "/secret", "s");
        write_file_atomic(outside_.path() + "/outside.txt", "o");
        ASSERT_EQ(::symlink(outside_.path().c_str(), (context() + "/out").c_str()), 0);
        ASSERT_EQ(::symlink("dir/sub", (context() + "/inside").c_str()), 0);
        ASSERT_EQ(::symlink("../../..", (context() + "/dir/up").c_str()), 0);
    }
    std::string context() const { return context_.path() + "/ctx"; }
    SourceTree tree() const { return context_tree(context(), IgnoreRules::parse("secret\n")); }

    std::vector<std::string> paths(const std::vector<std::string>& sources, const std::string& destination,
                                   const storage::TreeView& image = {}) const {
        CopyRequest request;
        request.sources = sources;
        request.destination = destination;
        std::vector<std::string> out;
        for (const auto& [path, entry] : plan_copy(request, tree(), image).entries) out.push_back(path);
        return out;
    }

    TempDir context_{"/tmp", "berth-copy-test-"};
    TempDir outside_{"/tmp", "berth-copy-outside-"};
};

TEST_F(CopySources, ADirectoryCopiesItsContents) {
    EXPECT_EQ(paths({"dir"}, "/app"), (std::vector<std::string>{"app", "app/sub", "app/sub/c.txt", "app/up"}));
}

TEST_F(CopySources, AFileGoesIntoADirectoryDestinationOrIsRenamed) {
    EXPECT_EQ(paths({"a.txt"}, "/app/"), (std::vector<std::string>{"app", "app/a.txt"}));
    EXPECT_EQ(paths({"a.txt"}, "/app/renamed"), (std::vector<std::string>{"app", "app/renamed"}));
    EXPECT_EQ(paths({"a.txt", "b.txt"}, "/app"), (std::vector<std::string>{"app", "app/a.txt", "app/b.txt"}));
    storage::TreeView image;
    image["srv"].status.st_mode = S_IFDIR | 0755;
    EXPECT_EQ(paths({"a.txt"}, "/srv", image), (std::vector<std::string>{"srv", "srv/a.txt"}));
}

TEST_F(CopySources, DestinationsFollowTheImagesSymlinks) {
    storage::TreeView image;
    auto add_link = [&](const std::string& name, const std::string& target) {
        std::string path = outside_.path() + "/" + name;
        ASSERT_EQ(::symlink(target.c_str(), path.c_str()), 0);
        storage::TreeEntry entry{path, {}};
        ASSERT_EQ(::lstat(path.c_str(), &entry.status), 0);
        image[name] = entry;
    };
    image["usr"].status.st_mode = S_IFDIR | 0755;
    image["usr/bin"].status.st_mode = S_IFDIR | 0755;
    image["usr/lib"].status.st_mode = S_IFDIR | 0700;
    add_link("bin", "usr/bin");
    add_link("lib", "/usr/lib");
    EXPECT_EQ(paths({"a.txt"}, "/bin/", image), (std::vector<std::string>{"usr", "usr/bin", "usr/bin/a.txt"}));
    EXPECT_EQ(paths({"a.txt"}, "/lib", image), (std::vector<std::string>{"usr", "usr/lib", "usr/lib/a.txt"}));
    CopyRequest request;
    request.sources = {"a.txt"};
    request.destination = "/lib/x/";
    EXPECT_EQ(plan_copy(request, tree(), image).entries.at("usr/lib").status.st_mode, S_IFDIR | 0700u);
}

TEST_F(CopySources, GlobsMatchWithinOneDirectory) {
    EXPECT_EQ(paths({"*.txt"}, "/t"), (std::vector<std::string>{"t", "t/a.txt", "t/b.txt"}));
    EXPECT_EQ(error_of([&] { paths({"*.none"}, "/t"); }),
              "no source files were specified: no files in the build context match \"*.none\"");
}

TEST_F(CopySources, SymlinksInsideTheContextAreFollowed) {
    EXPECT_EQ(paths({"inside/c.txt"}, "/c"), (std::vector<std::string>{"c"}));
}

TEST_F(CopySources, NothingOutsideTheContextIsRead) {
    EXPECT_EQ(error_of([&] { paths({"../x"}, "/x"); }), "forbidden path outside the build context: ../x");
    EXPECT_EQ(error_of([&] { paths({"out/outside.txt"}, "/x"); }),
              "forbidden path outside the build context: out/outside.txt (a symbolic link to " + outside_.path() + ")");
    EXPECT_EQ(error_of([&] { paths({"dir/up/etc"}, "/x"); }),
              "forbidden path outside the build context: dir/up/etc (a symbolic link to ../../..)");
    EXPECT_EQ(error_of([&] { paths({"secret"}, "/x"); }),
              "checking on sources under the build context: \"secret\": no such file or directory");
}

TEST_F(CopySources, OwnersAndModesAreSetAndTheDigestFollowsContent) {
    CopyRequest request;
    request.sources = {"dir"};
    request.destination = "/d";
    request.uid = 7;
    request.gid = 8;
    request.mode = 0640;
    auto plan = plan_copy(request, tree(), {});
    const auto& file = plan.entries.at("d/sub/c.txt").status;
    EXPECT_EQ(file.st_uid, 7u);
    EXPECT_EQ(file.st_gid, 8u);
    EXPECT_EQ(file.st_mode & 07777, 0640u);
    write_file_atomic(context() + "/dir/sub/c.txt", "changed", 0600);
    EXPECT_NE(plan_copy(request, tree(), {}).digest, plan.digest);
}

TEST(CopyFlags, ChownTakesIdsOrNamesAndChmodOctal) {
    std::string passwd = "root:x:0:0::/root:/bin/sh\nweb:x:33:44::/:/bin/false\n";
    std::string group = "root:x:0:\nstaff:x:50:\n";
    EXPECT_EQ(parse_chown("1000", passwd, group), (std::pair<uid_t, gid_t>{1000, 1000}));
    EXPECT_EQ(parse_chown("web", passwd, group), (std::pair<uid_t, gid_t>{33, 44}));
    EXPECT_EQ(parse_chown("web:staff", passwd, group), (std::pair<uid_t, gid_t>{33, 50}));
    EXPECT_EQ(error_of([&] { parse_chown("nobody", passwd, group); }),
              "--chown=nobody: no user nobody in the image's /etc/passwd");
    EXPECT_EQ(parse_chmod("755"), 0755u);
    EXPECT_EQ(error_of([] { parse_chmod("u+x"); }), "--chmod=u+x: not an octal mode");
}

}  // namespace
}  // namespace berth::builder
