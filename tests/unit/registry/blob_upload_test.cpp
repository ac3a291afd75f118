// Blob and manifest uploads against a fake registry that follows the distribution spec's push protocol.
#include "registry/blob_upload.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "common/digest.hpp"
#include "common/unique_fd.hpp"
#include "registry/manifest_upload.hpp"
#include "tests/unit/error_of.hpp"
#include "tests/unit/registry/test_http_server.hpp"

namespace berth::registry {
namespace {

using test_http::HttpRequest;
using test_http::reply;
using test_http::TestServer;
using testing_support::error_of;
using Reply = test_http::HttpReply;

const std::string uploads_path = "/v2/team/app/blobs/uploads/";

// One repository's blobs and its one open upload; how it answers is set by the test.
class FakeRegistry {
public:
    bool mount_allowed = false;
    int fail_patch_number = 0;      // this PATCH (1 = the first) keeps half its bytes and answers 500
    int fail_puts = 0;              // this many PUTs answer 503
    std::string wrong_digest;       // sent as Docker-Content-Digest instead of the real one
    std::vector<std::string> have;  // blobs present

    Reply handle(const HttpRequest& request) {
        std::lock_guard lock(mutex_);
        if (request.method == "HEAD") {
            std::string digest = request.path.substr(request.path.rfind('/') + 1);
            bool present = std::find(have.begin(), have.end(), digest) != have.end();
            return present ? reply(200, "OK") : reply(404, "Not Found");
        }
        if (request.method == "POST" && request.path == uploads_path) {
            if (!request.query_values("mount").empty() && mount_allowed)
                return reply(201, "Created", {}, {{"Docker-Content-Digest", request.query_values("mount")[0]}});
            data_.clear();
            // host-relative, with a state the client must keep
            return reply(202, "Accepted", {}, {{"Location", uploads_path + "u1?_state=0"}, {"Range", "0-0"}});
        }
        if (request.path != uploads_path + "u1") return reply(404, "Not Found");
        if (request.method == "GET") return reply(204, "No Content", {}, progress_headers());
        if (request.query_values("_state") != std::vector<std::string>{std::to_string(data_.size())})
            return reply(400, "Bad Request", R"({"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"stale state"}]})");
        if (request.method == "PATCH") {
            ++patches_;
            std::string expected_range =
                std::to_string(data_.size()) + "-" + std::to_string(data_.size() + request.body.size() - 1);
            if (request.header("content-range") != expected_range) return reply(416, "Range Not Satisfiable");
            if (patches_ == fail_patch_number) {
                data_ += request.body.substr(0, request.body.size() / 2);
                return reply(500, "Internal Server Error");
            }
            data_ += request.body;
            return reply(202, "Accepted", {}, progress_headers());
        }
        if (request.method == "PUT") {
            if (fail_puts > 0) {
                --fail_puts;
                data_ += request.body.substr(0, 10);  // what arrived before it broke
                return reply(503, "Service Unavailable");
            }
            data_ += request.body;
            std::string digest = request.query_values("digest").empty() ? "" : request.query_values("digest")[0];
            if (sha256_digest(data_) != digest)
                return reply(400, "Bad Request", R"({"errors":[{"code":"DIGEST_INVALID","message":"bad digest"}]})");
            have.push_back(digest);
            stored_ = data_;
            return reply(201, "Created", {},
                         {{"Docker-Content-Digest", wrong_digest.empty() ? digest : wrong_digest},
                          {"Location", "/v2/team/app/blobs/" + digest}});
        }
        return reply(405, "Method Not Allowed");
    }

    std::string stored() {
        std::lock_guard lock(mutex_);
        return stored_;
    }

private:
    // A path-relative Location this time, and the Range the upload holds.
    std::vector<std::pair<std::string, std::string>> progress_headers() const {
        std::vector<std::pair<std::string, std::string>> headers = {
            {"Location", "u1?_state=" + std::to_string(data_.size())}};
        if (!data_.empty()) headers.emplace_back("Range", "0-" + std::to_string(data_.size() - 1));
        return headers;
    }

    std::mutex mutex_;
    std::string data_;
    std::string stored_;
    int patches_ = 0;
};

struct Fixture {
    FakeRegistry fake;
    TestServer server{[this](const HttpRequest& request) { return fake.handle(request); }};
    RegistryClient client{server.host(), "team/app", options()};

    static ClientOptions options() {
        ClientOptions options;
        options.plain_http = true;
        options.retry_delay_ms = 1;
        options.stall_seconds = 10;
        return options;
    }

    std::vector<std::string> methods() const {
        std::vector<std::string> seen;
        for (const auto& request : server.requests()) seen.push_back(request.method);
        return seen;
    }
};

std::string random_bytes(size_t size) {
    std::mt19937 generator(7);
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(generator() & 0xff);
    return bytes;
}

// A blob in an anonymous file.
struct TestBlob {
    std::string bytes;
    UniqueFd fd;
    BlobSource source() const { return {sha256_digest(bytes), bytes.size(), fd.get()}; }
};

TestBlob make_blob(size_t size) {
    TestBlob blob{random_bytes(size), UniqueFd(::memfd_create("blob", MFD_CLOEXEC))};
    EXPECT_EQ(::write(blob.fd.get(), blob.bytes.data(), blob.bytes.size()), static_cast<ssize_t>(size));
    return blob;
}

TEST(BlobUpload, APresentBlobIsSkipped) {
    Fixture f;
    auto blob = make_blob(100);
    f.fake.have.push_back(blob.source().digest);
    EXPECT_EQ(upload_blob(f.client, blob.source(), {}), BlobUploadOutcome::present);
    EXPECT_EQ(f.methods(), std::vector<std::string>{"HEAD"});
}

TEST(BlobUpload, MonolithicUploadFollowsTheLocationAndKeepsItsQuery) {
    Fixture f;
    auto blob = make_blob(5000);
    uint64_t last = 0;
    BlobUploadOptions options;
    options.progress = [&](uint64_t bytes) { last = bytes; };
    EXPECT_EQ(upload_blob(f.client, blob.source(), options), BlobUploadOutcome::uploaded);
    EXPECT_EQ(f.fake.stored(), blob.bytes);
    EXPECT_EQ(f.methods(), (std::vector<std::string>{"HEAD", "POST", "PUT"}));
    auto put = f.server.requests().back();
    EXPECT_EQ(put.query_values("_state"), std::vector<std::string>{"0"});
    EXPECT_EQ(put.header("content-type"), "application/octet-stream");
    EXPECT_EQ(last, 5000u);
}

TEST(BlobUpload, AFailedPutStartsANewUploadAFewTimes) {
    Fixture f;
    f.fake.fail_puts = 1;
    auto blob = make_blob(300);
    EXPECT_EQ(upload_blob(f.client, blob.source(), {}), BlobUploadOutcome::uploaded);
    EXPECT_EQ(f.fake.stored(), blob.bytes);
    EXPECT_EQ(f.methods(), (std::vector<std::string>{"HEAD", "POST", "PUT", "POST", "PUT"}));

    Fixture failing;
    failing.fake.fail_puts = 100;
    BlobUploadOptions options;
    options.resume_delay = std::chrono::milliseconds(1);
    EXPECT_EQ(error_of([&] { upload_blob(failing.client, blob.source(), options); }),
              "uploading blob " + blob.source().digest + " to " + failing.server.host() +
                  "/team/app: completing the upload: received unexpected HTTP status: 503 Service Unavailable");
    EXPECT_EQ(failing.server.request_count(), 1 + 2 * 6);  // HEAD, then six POST and PUT
}

TEST(BlobUpload, ChunkedUploadSendsContentRanges) {
    Fixture f;
    auto blob = make_blob(2500);
    BlobUploadOptions options;
    options.chunk_size = 1000;
    EXPECT_EQ(upload_blob(f.client, blob.source(), options), BlobUploadOutcome::uploaded);
    EXPECT_EQ(f.fake.stored(), blob.bytes);
    std::vector<std::string> ranges;
    for (const auto& request : f.server.requests())
        if (request.method == "PATCH") ranges.push_back(request.header("content-range"));
    EXPECT_EQ(ranges, (std::vector<std::string>{"0-999", "1000-1999", "2000-2499"}));
    EXPECT_EQ(f.server.requests().back().body, "");
}

TEST(BlobUpload, ABrokenChunkResumesWhereTheRegistryStands) {
    Fixture f;
    f.fake.fail_patch_number = 2;
    auto blob = make_blob(2500);
    BlobUploadOptions options;
    options.chunk_size = 1000;
    EXPECT_EQ(upload_blob(f.client, blob.source(), options), BlobUploadOutcome::uploaded);
    EXPECT_EQ(f.fake.stored(), blob.bytes);
    EXPECT_EQ(f.methods(), (std::vector<std::string>{"HEAD", "POST", "PATCH", "PATCH", "GET", "PATCH", "PUT"}));
    std::vector<std::string> ranges;
    for (const auto& request : f.server.requests())
        if (request.method == "PATCH") ranges.push_back(request.header("content-range"));
    EXPECT_EQ(ranges, (std::vector<std::string>{"0-999", "1000-1999", "1500-2499"}));
}

TEST(BlobUpload, ABlobOfAnotherRepositoryIsMounted) {
    Fixture f;
    f.fake.mount_allowed = true;
    auto blob = make_blob(100);
    BlobUploadOptions options;
    options.mount_from = "library/busybox";
    EXPECT_EQ(upload_blob(f.client, blob.source(), options), BlobUploadOutcome::mounted);
    auto post = f.server.requests().back();
    EXPECT_EQ(post.query_values("mount"), std::vector<std::string>{blob.source().digest});
    EXPECT_EQ(post.query_values("from"), std::vector<std::string>{"library/busybox"});
    EXPECT_EQ(f.methods(), (std::vector<std::string>{"HEAD", "POST"}));
}

TEST(BlobUpload, ARefusedMountUploadsIntoTheSessionItOpened) {
    Fixture f;
    auto blob = make_blob(100);
    BlobUploadOptions options;
    options.mount_from = "library/busybox";
    EXPECT_EQ(upload_blob(f.client, blob.source(), options), BlobUploadOutcome::uploaded);
    EXPECT_EQ(f.fake.stored(), blob.bytes);
    EXPECT_EQ(f.methods(), (std::vector<std::string>{"HEAD", "POST", "PUT"}));
}

TEST(BlobUpload, TheRegistrysDigestMustBeTheBlobs) {
    Fixture f;
    f.fake.wrong_digest = "sha256:" + std::string(64, '0');
    auto blob = make_blob(10);
    EXPECT_EQ(error_of([&] { upload_blob(f.client, blob.source(), {}); }),
              "uploading blob " + blob.source().digest + " to " + f.server.host() +
                  "/team/app: the registry stored it as sha256:" + std::string(64, '0'));
}

TEST(ManifestUpload, PutsTheBodyWithItsMediaType) {
    std::string body = R"({"schemaVersion":2})";
    TestServer server([&](const HttpRequest& request) {
        if (request.method == "PUT" && request.path == "/v2/team/app/manifests/1")
            return reply(201, "Created", {}, {{"Docker-Content-Digest", sha256_digest(request.body)}});
        return reply(404, "Not Found");
    });
    RegistryClient client(server.host(), "team/app", Fixture::options());
    EXPECT_EQ(put_manifest(client, "1", "application/vnd.oci.image.manifest.v1+json", body), sha256_digest(body));
    auto put = server.requests().back();
    EXPECT_EQ(put.body, body);
    EXPECT_EQ(put.header("content-type"), "application/vnd.oci.image.manifest.v1+json");
    EXPECT_EQ(error_of([&] { put_manifest(client, "2", "application/json", body); }),
              "writing manifest to " + server.host() + "/team/app:2: not found");
}

}  // namespace
}  // namespace berth::registry
