#include "storage/layer_diff.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "storage/layer_tar.hpp"
#include "storage/layer_unpack.hpp"

namespace berth::storage {
namespace {

void check(bool ok, const std::string& what) {
    if (!ok) throw std::runtime_error(what + ": " + std::strerror(errno));
}

void put_file(const std::string& path, const std::string& content) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    check(fd.valid(), "create " + path);
    check(::write(fd.get(), content.data(), content.size()) == static_cast<ssize_t>(content.size()), "write " + path);
}

void put_whiteout(const std::string& path) {
    check(::mknod(path.c_str(), S_IFCHR | 0000, ::makedev(0, 0)) == 0, "mknod " + path);
}

std::vector<std::string> lines_of(const std::vector<Change>& changes) {
    std::vector<std::string> lines;
    for (const auto& change : changes) lines.push_back(std::string(1, change_letter(change.kind)) + " " + change.path);
    return lines;
}

TreeEntry entry_of(mode_t mode, off_t size = 0, time_t mtime = 1) {
    TreeEntry entry;
    entry.source = "/nonexistent";
    entry.status.st_mode = mode;
    entry.status.st_size = size;
    entry.status.st_mtim.tv_sec = mtime;
    return entry;
}

// An image's layer and a container's overlay upper directory over it.
class OverlayDiff : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "whiteouts are character devices: making them needs root";
        lower = base.path() + "/lower";
        upper = base.path() + "/upper";
        for (const char* dir : {"etc", "usr/lib", "bin", "var/cache"}) make_directories(lower + "/" + dir);
        put_file(lower + "/etc/passwd", "root:x:0:0::/root:/bin/sh\n");
        put_file(lower + "/etc/group", "root:x:0:\n");
        put_file(lower + "/usr/lib/old", "old\n");
        put_file(lower + "/var/cache/a", "a\n");
        check(::symlink("busybox", (lower + "/bin/sh").c_str()) == 0, "symlink");
        // The container: changed passwd, deleted group, added motd and srv/data/f, replaced usr (opaque), removed
        // the whole var/cache.
        for (const char* dir : {"etc", "srv/data", "usr", "var"}) make_directories(upper + "/" + dir);
        put_file(upper + "/etc/passwd", "root:x:0:0::/root:/bin/sh\nextra\n");
        put_whiteout(upper + "/etc/group");
        put_file(upper + "/etc/motd", "hello\n");
        put_file(upper + "/srv/data/f", "x\n");
        check(::setxattr((upper + "/usr").c_str(), "user.overlay.opaque", "y", 1, 0) == 0 ||
                  ::setxattr((upper + "/usr").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0,
              "setxattr");
        put_file(upper + "/usr/new", "new\n");
        put_whiteout(upper + "/var/cache");
    }

    TempDir base{"/tmp", "berth-diff-"};
    std::string lower, upper;
};

TEST_F(OverlayDiff, ListsAddedChangedAndDeletedPathsAsPodmanDoes) {
    TreeView image = merged_view({lower});
    TreeView container = image;
    apply_layer(container, upper);
    EXPECT_FALSE(container.contains("etc/group"));
    EXPECT_FALSE(container.contains("usr/lib/old"));
    EXPECT_FALSE(container.contains("var/cache"));
    EXPECT_EQ(container.at("etc/passwd").source, upper + "/etc/passwd");
    EXPECT_EQ(container.at("bin/sh").source, lower + "/bin/sh");
    EXPECT_EQ(
        lines_of(overlay_changes(image, container, upper)),
        (std::vector<std::string>{"C /etc", "D /etc/group", "A /etc/motd", "C /etc/passwd", "A /srv", "A /srv/data",
                                  "A /srv/data/f", "C /usr", "D /usr/lib", "A /usr/new", "C /var", "D /var/cache"}));
}

TEST_F(OverlayDiff, ChangesBecomeALayerWithOciWhiteoutsThatUnpacksToTheSameTree) {
    TreeView image = merged_view({lower});
    TreeView container = image;
    apply_layer(container, upper);
    auto changes = overlay_changes(image, container, upper);
    std::string blob = base.path() + "/layer.tar.gz";
    {
        UniqueFd out(::open(blob.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        check(out.valid(), "create " + blob);
        GzipWriter gzip([&out](const char* data, size_t size) {
            check(::write(out.get(), data, size) == static_cast<ssize_t>(size), "write");
        });
        write_changes_tar(changes, container, [&gzip](const char* data, size_t size) { gzip.write(data, size); });
        gzip.finish();
    }
    std::string unpacked = base.path() + "/unpacked";
    make_directories(unpacked);
    auto result = unpack_layer_file(blob, unpacked, UnpackOptions{});
    EXPECT_EQ(read_file(unpacked + "/etc/motd"), "hello\n");
    EXPECT_EQ(read_file(unpacked + "/srv/data/f"), "x\n");
    struct stat status {};
    ASSERT_EQ(::lstat((unpacked + "/etc/group").c_str(), &status), 0);
    EXPECT_TRUE(is_whiteout(status));
    TreeView again = image;
    apply_layer(again, unpacked);
    std::vector<std::string> paths, expected;
    for (const auto& [path, entry] : again) paths.push_back(path);
    for (const auto& [path, entry] : container) expected.push_back(path);
    EXPECT_EQ(paths, expected);
    EXPECT_EQ(result.entries, changes.size());
}

TEST(TreeChanges, CopiedTreesCompareMetadataAndReportADeletedDirectoryOnce) {
    TreeView image{{"etc", entry_of(S_IFDIR | 0755)},
                   {"etc/hosts", entry_of(S_IFREG | 0644, 10)},
                   {"etc/passwd", entry_of(S_IFREG | 0644, 20)},
                   {"opt", entry_of(S_IFDIR | 0755)},
                   {"opt/a", entry_of(S_IFREG | 0644)},
                   {"opt/a2", entry_of(S_IFREG | 0644)}};
    TreeView copy{{"etc", entry_of(S_IFDIR | 0755, 0, 99)},
                  {"etc/hosts", entry_of(S_IFREG | 0644, 10)},
                  {"etc/passwd", entry_of(S_IFREG | 0644, 20, 5)},
                  {"new", entry_of(S_IFREG | 0600)}};
    EXPECT_EQ(lines_of(copied_tree_changes(image, copy)),
              (std::vector<std::string>{"C /etc/passwd", "A /new", "D /opt"}));
}

TEST(TreeChanges, ParentDirectoriesOfChangesAreChangedAndUntouchedDirectoriesAreNot) {
    TreeView before{{"etc", entry_of(S_IFDIR | 0755)},
                    {"etc/passwd", entry_of(S_IFREG | 0644)},
                    {"srv", entry_of(S_IFDIR | 0755)},
                    {"tmp", entry_of(S_IFDIR | 01777)}};
    TreeView after{{"etc", entry_of(S_IFDIR | 0755)},     {"etc/passwd", entry_of(S_IFREG | 0644)},
                   {"etc/ssl", entry_of(S_IFDIR | 0755)}, {"etc/ssl/new", entry_of(S_IFREG | 0644)},
                   {"srv", entry_of(S_IFDIR | 0755)},     {"tmp", entry_of(S_IFDIR | 0700)}};
    // srv only copied up (a mount point below it was left out), tmp's mode changed.
    std::vector<Change> changes{{"/etc/ssl", ChangeKind::added},
                                {"/etc/ssl/new", ChangeKind::added},
                                {"/srv", ChangeKind::changed},
                                {"/tmp", ChangeKind::changed}};
    EXPECT_EQ(lines_of(with_parent_directories(changes, before, after)),
              (std::vector<std::string>{"C /etc", "A /etc/ssl", "A /etc/ssl/new", "C /tmp"}));
}

TEST(TreeChanges, AFileReplacedByADirectoryIsChanged) {
    TreeView before{{"x", entry_of(S_IFREG | 0644)}};
    TreeView after{{"x", entry_of(S_IFDIR | 0755)}, {"x/y", entry_of(S_IFREG | 0644)}};
    EXPECT_EQ(lines_of(copied_tree_changes(before, after)), (std::vector<std::string>{"C /x", "A /x/y"}));
}

}  // namespace
}  // namespace berth::storage
