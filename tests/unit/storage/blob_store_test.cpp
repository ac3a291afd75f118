#include "storage/blob_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::storage {
namespace {

std::string scratch_parent() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp ? tmp : "/tmp";
}

std::vector<std::string> names_in(const std::string& dir) {
    std::vector<std::string> names;
    if (!path_exists(dir)) return names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

using testing_support::error_of;

const std::string abc_digest = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

TEST(BlobStore, PutReadContainsListRemove) {
    TempDir root(scratch_parent(), "berth-blobs-test-");
    BlobStore blobs(root.path());
    EXPECT_FALSE(blobs.contains(abc_digest));
    EXPECT_TRUE(blobs.list().empty());
    blobs.put(abc_digest, "abc");
    EXPECT_TRUE(blobs.contains(abc_digest));
    EXPECT_EQ(blobs.read(abc_digest), "abc");
    EXPECT_EQ(blobs.path_of(abc_digest),
              root.path() + "/blobs/sha256/ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(read_file(blobs.path_of(abc_digest)), "abc");
    std::string empty = sha256_digest("");
    blobs.put(empty, "");
    EXPECT_EQ(blobs.read(empty), "");
    std::vector<std::string> both{abc_digest, empty};
    std::sort(both.begin(), both.end());
    EXPECT_EQ(blobs.list(), both);
    EXPECT_TRUE(names_in(blobs.temporary_dir()).empty());

    blobs.remove(abc_digest);
    EXPECT_FALSE(blobs.contains(abc_digest));
    blobs.remove(abc_digest);  // a missing blob is fine
    EXPECT_EQ(blobs.list(), std::vector<std::string>{empty});
}

TEST(BlobStore, MissingBlobAndBadDigestAreNamed) {
    TempDir root(scratch_parent(), "berth-blobs-test-");
    BlobStore blobs(root.path());
    EXPECT_EQ(error_of([&] { blobs.read(abc_digest); }),
              "blob " + abc_digest + ": not found in " + root.path() + "/blobs/sha256");
    EXPECT_NE(error_of([&] { blobs.path_of("sha256:../../etc"); }).find("\"sha256:../../etc\""), std::string::npos);
    EXPECT_FALSE(blobs.contains("sha256:../../etc"));
    EXPECT_NE(error_of([&] { blobs.put("md5:abc", "abc"); }), "no error");
}

TEST(BlobStore, WriterHashesPiecesAndCommits) {
    TempDir root(scratch_parent(), "berth-blobs-test-");
    BlobStore blobs(root.path());
    auto writer = blobs.begin_write();
    writer.write("a", 1);
    writer.write(std::string_view("bc"));
    EXPECT_EQ(writer.size(), 3u);
    EXPECT_EQ(writer.digest_so_far(), abc_digest);
    EXPECT_EQ(names_in(blobs.temporary_dir()).size(), 1u);  // in progress, not visible as a blob
    EXPECT_FALSE(blobs.contains(abc_digest));
    writer.commit(abc_digest, 3);
    EXPECT_EQ(blobs.read(abc_digest), "abc");
    EXPECT_TRUE(names_in(blobs.temporary_dir()).empty());
    EXPECT_NE(error_of([&] { writer.write("x", 1); }), "no error");
}

TEST(BlobStore, DigestMismatchStoresNothing) {
    TempDir root(scratch_parent(), "berth-blobs-test-");
    BlobStore blobs(root.path());
    std::string claimed = sha256_digest("abd");
    EXPECT_EQ(error_of([&] { blobs.put(claimed, "abc"); }), "blob " + claimed + ": digest mismatch: got " + abc_digest);
    EXPECT_FALSE(blobs.contains(claimed));
    EXPECT_FALSE(blobs.contains(abc_digest));
    EXPECT_TRUE(blobs.list().empty());
    EXPECT_TRUE(names_in(blobs.temporary_dir()).empty());

    // Without a size to check, the digest still is.
    auto writer = blobs.begin_write();
    writer.write("abc", 3);
    EXPECT_EQ(error_of([&] { writer.commit(claimed, std::nullopt); }),
              "blob " + claimed + ": digest mismatch: got " + abc_digest);
    EXPECT_TRUE(blobs.list().empty());
    EXPECT_TRUE(names_in(blobs.temporary_dir()).empty());
}

TEST(BlobStore, SizeMismatchStoresNothing) {
    TempDir root(scratch_parent(), "berth-blobs-test-");
    BlobStore blobs(root.path());
    auto writer = blobs.begin_write();
    writer.write("abc", 3);
    EXPECT_EQ(error_of([&] { writer.commit(abc_digest, 4); }),
              "blob " + abc_digest + ": size mismatch: expected 4 bytes, got 3");
    EXPECT_FALSE(blobs.contains(abc_digest));
    EXPECT_TRUE(names_in(blobs.temporary_dir()).empty());
}

TEST(BlobStore, AbandonedWriterLeavesNothing) {
    TempDir root(scratch_parent(), "berth-blobs-test-");
    BlobStore blobs(root.path());
    {
        auto writer = blobs.begin_write();
        writer.write("abc", 3);
        auto moved = std::move(writer);
        EXPECT_EQ(moved.size(), 3u);
        EXPECT_EQ(names_in(blobs.temporary_dir()).size(), 1u);
    }
    EXPECT_TRUE(names_in(blobs.temporary_dir()).empty());
    EXPECT_TRUE(blobs.list().empty());
}

TEST(BlobStore, TwoWritersOfTheSameBlobBothSucceed) {
    TempDir root(scratch_parent(), "berth-blobs-test-");
    BlobStore blobs(root.path());
    std::string content(1 << 20, 'x');
    std::string digest = sha256_digest(content);
    auto first = blobs.begin_write();
    auto second = blobs.begin_write();
    for (size_t offset = 0; offset < content.size(); offset += 65536) {
        first.write(content.data() + offset, 65536);
        second.write(content.data() + offset, 65536);
    }
    first.commit(digest, content.size());
    EXPECT_EQ(blobs.read(digest), content);
    second.commit(digest, content.size());
    EXPECT_EQ(blobs.read(digest), content);
    EXPECT_EQ(blobs.list(), std::vector<std::string>{digest});
    EXPECT_TRUE(names_in(blobs.temporary_dir()).empty());

    // The same from separate processes at once.
    std::string other(1 << 20, 'y');
    std::string other_digest = sha256_digest(other);
    std::vector<pid_t> children;
    for (int i = 0; i < 4; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            try {
                BlobStore(root.path()).put(other_digest, other);
                ::_exit(0);
            } catch (...) {
                ::_exit(1);
            }
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status = 0;
        ASSERT_EQ(::waitpid(pid, &status, 0), pid);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    EXPECT_EQ(blobs.read(other_digest), other);
    EXPECT_TRUE(names_in(blobs.temporary_dir()).empty());
}

TEST(BlobStore, StaleTemporariesAreRemovedLiveOnesKept) {
    TempDir root(scratch_parent(), "berth-blobs-test-");
    BlobStore blobs(root.path());
    auto live = blobs.begin_write();  // this process's writer: alive and recent
    live.write("abc", 3);
    ASSERT_EQ(names_in(blobs.temporary_dir()).size(), 1u);
    std::string live_name = names_in(blobs.temporary_dir()).front();

    // A writer that was killed: its pid no longer exists.
    pid_t dead = ::fork();
    if (dead == 0) ::_exit(0);
    int status = 0;
    ASSERT_EQ(::waitpid(dead, &status, 0), dead);
    std::string own_namespace = live_name.substr(0, live_name.find('-'));
    std::string dead_name = own_namespace + "-" + std::to_string(dead) + "-AAAAAA";
    write_file_atomic(blobs.temporary_dir() + "/" + dead_name, "partial");

    // A temporary of a live process (this one) from more than an hour ago.
    std::string old_name = own_namespace + "-" + std::to_string(::getpid()) + "-BBBBBB";
    std::string old_path = blobs.temporary_dir() + "/" + old_name;
    write_file_atomic(old_path, "partial");
    time_t two_hours_ago = ::time(nullptr) - time_t{2} * 3600;
    utimbuf times{two_hours_ago, two_hours_ago};
    ASSERT_EQ(::utime(old_path.c_str(), &times), 0);

    // A recent one of a live process in another pid namespace: whether it lives cannot be told, so it stays.
    std::string foreign_name = "1-" + std::to_string(dead) + "-CCCCCC";
    write_file_atomic(blobs.temporary_dir() + "/" + foreign_name, "partial");

    blobs.remove_stale_temporaries();
    std::vector<std::string> expected{foreign_name, live_name};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(names_in(blobs.temporary_dir()), expected);
    live.commit(abc_digest, 3);
    EXPECT_EQ(blobs.read(abc_digest), "abc");
}

}  // namespace
}  // namespace berth::storage
