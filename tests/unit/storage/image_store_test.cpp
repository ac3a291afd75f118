#include "storage/image_store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"
#include "storage/chain_id.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::storage {
namespace {

std::string scratch_parent() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp ? tmp : "/tmp";
}

using testing_support::error_of;

// "sha256:<hex>" padded with zeros to a full digest.
std::string id_of(const std::string& hex_start, char fill = '0') {
    return "sha256:" + hex_start + std::string(64 - hex_start.size(), fill);
}

ImageRecord record(const std::string& id, std::vector<std::string> names, int64_t pulled_at = 1000) {
    ImageRecord image;
    image.id = id;
    image.names = std::move(names);
    image.digests = {id_of("d1" + id.substr(7, 4))};
    image.manifest_digest = image.digests.front();
    image.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
    image.diff_ids = {id_of("e1" + id.substr(7, 4)), id_of("e2" + id.substr(7, 4))};
    image.layers = chain_ids(image.diff_ids);
    image.layer_digests = {id_of("f1" + id.substr(7, 4)), id_of("f2" + id.substr(7, 4))};
    image.created = "2024-01-02T03:04:05Z";
    image.size = 4096;
    image.pulled_at = pulled_at;
    return image;
}

std::vector<std::string> names_of(const std::optional<ImageRecord>& image) {
    return image ? image->names : std::vector<std::string>{"<no image>"};
}

TEST(ChainIds, FollowTheOciDefinition) {
    // Expected values computed independently: sha256 of "<previous chain id> <diff id>".
    std::vector<std::string> diff_ids{
        "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e",
        "sha256:77ea7eee3d80b1a38f83906dd3048e2689457eb90e18a7d12f839c5ae37106a2",
        "sha256:95cf1a2e1698fe3ca1fcc3f653119146b271d0b62e487ec264441e886a11bd06",
    };
    std::vector<std::string> expected{
        "sha256:4fbec69b941195fd56f8212a5000e304129451d82efca94ff0e0fb2d5355472e",
        "sha256:ef232af0eb422cdfd7917631657cd8ed2bfd5b9461b37c427aa0d3e0a19adf79",
        "sha256:7ad3896338947cc04ee0b35b50d400ff32538d63f42f85ec87feac78bf71a54d",
    };
    EXPECT_EQ(chain_ids(diff_ids), expected);
    EXPECT_TRUE(chain_ids({}).empty());
    EXPECT_NE(error_of([] { chain_ids({"sha256:nothex"}); }).find("\"sha256:nothex\""), std::string::npos);
}

TEST(ImageStore, PutListFindByNameIdAndPrefix) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    EXPECT_TRUE(images.list().empty());
    EXPECT_EQ(images.find("busybox"), std::nullopt);

    auto busybox = record(id_of("1234abcd"), {"docker.io/library/busybox:latest"});
    auto alpine = record(id_of("5678"), {"docker.io/library/alpine:3", "docker.io/library/alpine:latest"});
    images.put(busybox);
    images.put(alpine);
    EXPECT_TRUE(path_exists(root.path() + "/images/" + busybox.id.substr(7) + ".json"));
    EXPECT_TRUE(path_exists(root.path() + "/storage.lock"));

    EXPECT_EQ(images.list(), (std::vector<ImageRecord>{busybox, alpine}));
    EXPECT_EQ(images.find("docker.io/library/busybox:latest"), busybox);
    EXPECT_EQ(images.find("docker.io/library/alpine:latest"), alpine);
    EXPECT_EQ(images.find(busybox.id), busybox);
    EXPECT_EQ(images.find(busybox.id.substr(7)), busybox);
    EXPECT_EQ(images.find("123"), busybox);
    EXPECT_EQ(images.find("sha256:1234ab"), busybox);
    EXPECT_EQ(images.find("12"), std::nullopt);  // too short to be a prefix
    EXPECT_EQ(images.find("9999"), std::nullopt);
    EXPECT_EQ(images.find("busybox"), std::nullopt);  // names match exactly; short names are the caller's job
    EXPECT_EQ(images.find(""), std::nullopt);
    EXPECT_EQ(images.find(id_of("1234abce")), std::nullopt);
}

TEST(ImageStore, AmbiguousPrefixIsAnError) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    images.put(record(id_of("abc1"), {"a:1"}));
    images.put(record(id_of("abc2"), {"b:1"}));
    std::string message = error_of([&] { images.find("abc"); });
    EXPECT_TRUE(message.starts_with("ambiguous image id prefix \"abc\"")) << message;
    EXPECT_NE(message.find(id_of("abc1")), std::string::npos) << message;
    EXPECT_EQ(images.find("abc1")->names, std::vector<std::string>{"a:1"});
    EXPECT_EQ(images.find("abc2")->names, std::vector<std::string>{"b:1"});
}

TEST(ImageStore, NamesMoveBetweenImagesAndDanglingImagesStay) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    auto old_image = record(id_of("0001"), {"example.com/app:latest", "example.com/app:1"});
    auto new_image = record(id_of("0002"), {"example.com/app:latest"}, 2000);
    images.put(old_image);
    images.put(new_image);
    EXPECT_EQ(images.find("example.com/app:latest")->id, new_image.id);
    EXPECT_EQ(names_of(images.find(old_image.id)), std::vector<std::string>{"example.com/app:1"});

    // Moving the last name leaves the old image dangling, still listed.
    images.add_name(new_image.id.substr(7), "example.com/app:1");
    EXPECT_EQ(names_of(images.find(new_image.id)),
              (std::vector<std::string>{"example.com/app:latest", "example.com/app:1"}));
    EXPECT_TRUE(names_of(images.find(old_image.id)).empty());
    EXPECT_EQ(images.list().size(), 2u);

    // Adding a name it already has changes nothing.
    images.add_name(new_image.id, "example.com/app:1");
    EXPECT_EQ(names_of(images.find(new_image.id)).size(), 2u);

    EXPECT_EQ(error_of([&] { images.add_name(id_of("0003"), "x:1"); }),
              "add name x:1 to image " + id_of("0003") + ": no such image");

    images.remove_name("example.com/app:latest");
    EXPECT_EQ(names_of(images.find(new_image.id)), std::vector<std::string>{"example.com/app:1"});
    EXPECT_EQ(images.find("example.com/app:latest"), std::nullopt);
    EXPECT_EQ(error_of([&] { images.remove_name("example.com/app:latest"); }),
              "remove name example.com/app:latest: no image has this name");
}

TEST(ImageStore, PutOfAnExistingImageMergesNamesAndDigests) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    auto first = record(id_of("00aa"), {"a:1"});
    images.put(first);
    auto again = record(id_of("00aa"), {"a:2", "a:1"}, 3000);
    again.digests = {id_of("dd")};
    again.size = 8192;
    images.put(again);
    auto stored = images.find("a:2");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->names, (std::vector<std::string>{"a:1", "a:2"}));
    EXPECT_EQ(stored->digests, (std::vector<std::string>{first.digests.front(), id_of("dd")}));
    EXPECT_EQ(stored->size, 8192);
    EXPECT_EQ(stored->pulled_at, 3000);
    EXPECT_EQ(images.list().size(), 1u);
}

TEST(ImageStore, RemoveDeletesTheRecord) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    auto image = record(id_of("0bad"), {"a:1"});
    images.put(image);
    images.put(record(id_of("0cab"), {"b:1"}));
    images.remove(image.id);
    EXPECT_EQ(images.find("a:1"), std::nullopt);
    EXPECT_EQ(images.find(image.id), std::nullopt);
    EXPECT_EQ(images.list().size(), 1u);
    EXPECT_EQ(error_of([&] { images.remove(image.id); }), "remove image " + image.id + ": no such image");
    EXPECT_NE(error_of([&] { images.remove("0cab"); }), "no error");  // a prefix is not a full id
    EXPECT_EQ(images.list().size(), 1u);
}

TEST(ImageStore, ReferencedLayersAndBlobs) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    EXPECT_TRUE(images.referenced_layers().empty());
    EXPECT_TRUE(images.referenced_blobs().empty());
    auto a = record(id_of("000a"), {"a:1"});
    auto b = record(id_of("000b"), {"b:1"});
    b.index_digest = id_of("0ffe");
    b.digests.push_back(b.index_digest);
    b.diff_ids = {a.diff_ids.front()};  // shares a's bottom layer
    b.layers = chain_ids(b.diff_ids);
    b.layer_digests = {a.layer_digests.front()};
    images.put(a);
    images.put(b);

    std::set<std::string> layers(a.layers.begin(), a.layers.end());
    EXPECT_EQ(images.referenced_layers(), layers);
    std::set<std::string> blobs{a.id, a.manifest_digest, b.id, b.manifest_digest, b.index_digest};
    blobs.insert(a.layer_digests.begin(), a.layer_digests.end());
    EXPECT_EQ(images.referenced_blobs(), blobs);

    images.remove(a.id);
    EXPECT_EQ(images.referenced_layers(), std::set<std::string>{a.layers.front()});
    EXPECT_EQ(images.referenced_blobs(),
              (std::set<std::string>{b.id, b.manifest_digest, b.index_digest, a.layer_digests.front()}));
}

TEST(ImageStore, MalformedRecordsAreSkippedWithAWarning) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    auto good = record(id_of("0600d"), {"good:1"});
    images.put(good);
    std::string dir = root.path() + "/images/";
    std::string truncated = dir + std::string(64, 'a') + ".json";
    std::string wrong_type = dir + std::string(64, 'b') + ".json";
    std::string misplaced = dir + std::string(64, 'c') + ".json";
    write_file_atomic(truncated, "{\"id\": \"sha256:");
    write_file_atomic(wrong_type, "{\"id\": \"sha256:" + std::string(64, 'b') + "\", \"names\": 5}");
    write_file_atomic(misplaced, "{\"id\": \"" + id_of("d") + "\"}");
    write_file_atomic(dir + "notes.txt", "not a record");

    testing::internal::CaptureStderr();
    auto listed = images.list();
    std::string warnings = testing::internal::GetCapturedStderr();
    EXPECT_EQ(listed, std::vector<ImageRecord>{good});
    EXPECT_TRUE(warnings.find("WARN") != std::string::npos || warnings.find("level=warning") != std::string::npos)
        << warnings;
    EXPECT_NE(warnings.find(truncated), std::string::npos) << warnings;
    EXPECT_NE(warnings.find(wrong_type), std::string::npos) << warnings;
    EXPECT_NE(warnings.find(misplaced), std::string::npos) << warnings;
    EXPECT_EQ(warnings.find("notes.txt"), std::string::npos) << warnings;

    // Changes still work beside broken files.
    testing::internal::CaptureStderr();
    images.put(record(id_of("0700"), {"good:1"}));
    EXPECT_EQ(images.find("good:1")->id, id_of("0700"));
    testing::internal::GetCapturedStderr();
}

TEST(ImageStore, InvalidRecordsAreRefused) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    EXPECT_NE(error_of([&] { images.put(record("sha256:short", {"a:1"})); }), "no error");
    auto bad_layer = record(id_of("01"), {"a:1"});
    bad_layer.layer_digests.push_back("../../etc/passwd");
    EXPECT_NE(error_of([&] { images.put(bad_layer); }).find("../../etc/passwd"), std::string::npos);
    EXPECT_TRUE(images.list().empty());
}

TEST(ImageStore, CallerHeldLockCoversStoreOperations) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    {
        auto lock = images.lock_exclusive();
        images.put(record(id_of("0a"), {"a:1"}));
        EXPECT_EQ(images.list().size(), 1u);
        images.remove(id_of("0a"));

        // Another process waits for the lock meanwhile.
        pid_t child = ::fork();
        if (child == 0) ::_exit(FileLock::try_shared(images.lock_path()).held() ? 1 : 0);
        int status = 0;
        ASSERT_EQ(::waitpid(child, &status, 0), child);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    EXPECT_TRUE(FileLock::try_exclusive(images.lock_path()).held());
}

TEST(ImageStore, ConcurrentProcessesDoNotLoseChanges) {
    TempDir root(scratch_parent(), "berth-images-test-");
    ImageStore images(root.path());
    images.put(record(id_of("0b"), {}));
    std::vector<pid_t> children;
    for (int i = 0; i < 6; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            try {
                ImageStore store(root.path());
                for (int j = 0; j < 5; ++j)
                    store.add_name(id_of("0b"), "n" + std::to_string(i) + ":" + std::to_string(j));
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
    EXPECT_EQ(names_of(images.find(id_of("0b"))).size(), 30u);
}

}  // namespace
}  // namespace berth::storage
