#include "registry/client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "registry/media_types.hpp"
#include "tests/unit/error_of.hpp"
#include "tests/unit/registry/test_http_server.hpp"

namespace berth::registry {
namespace {

using test_http::HttpReply;
using test_http::HttpRequest;
using test_http::reply;
using test_http::TestServer;

// ---- Helpers ----

const std::string repository = "library/busybox";
const std::string manifests_path = "/v2/library/busybox/manifests/";
const std::string blobs_path = "/v2/library/busybox/blobs/";

ClientOptions test_options() {
    ClientOptions options;
    options.plain_http = true;
    options.retry_delay_ms = 1;
    options.stall_seconds = 10;
    return options;
}

using testing_support::error_of;

std::string random_bytes(size_t size, unsigned seed) {
    std::mt19937 generator(seed);
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(generator() & 0xff);
    return bytes;
}

const std::string manifest_body =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, 'a') + R"(","size":2},"layers":[]})";

HttpReply manifest_reply(const std::string& body = manifest_body,
                         std::string content_type = std::string(media_type::oci_manifest)) {
    return reply(200, "OK", body, {{"Content-Type", content_type}, {"Docker-Content-Digest", sha256_digest(body)}});
}

std::string fetch(RegistryClient& client, const std::string& digest, std::optional<uint64_t> size = std::nullopt,
                  uint64_t* last_progress = nullptr) {
    std::string received;
    client.fetch_blob(
        digest, size, [&](const char* data, size_t length) { received.append(data, length); },
        [&](uint64_t bytes) {
            if (last_progress != nullptr) *last_progress = bytes;
        });
    return received;
}

// ---- Manifests ----

TEST(RegistryClient, ManifestByTag) {
    TestServer server([](const HttpRequest& request) {
        if (request.method == "GET" && request.path == manifests_path + "latest") return manifest_reply();
        return reply(404, "Not Found");
    });
    RegistryClient client(server.host(), repository, test_options());
    Manifest manifest = client.get_manifest(
        "latest", {std::string(media_type::oci_manifest), std::string(media_type::docker_manifest)});
    EXPECT_EQ(manifest.media_type, media_type::oci_manifest);
    EXPECT_EQ(manifest.body, manifest_body);
    EXPECT_EQ(manifest.digest, sha256_digest(manifest_body));
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].header("accept"),
              "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json");
    EXPECT_EQ(requests[0].header("user-agent"), "berth");
    EXPECT_FALSE(requests[0].has_header("authorization"));
}

TEST(RegistryClient, ManifestAcceptsEverythingKnownByDefault) {
    TestServer server([](const HttpRequest&) { return manifest_reply(); });
    RegistryClient client(server.host(), repository, test_options());
    client.get_manifest("latest", {});
    std::string accept = server.requests().at(0).header("accept");
    for (std::string_view type : media_type::manifest_types) EXPECT_NE(accept.find(type), std::string::npos) << type;
}

TEST(RegistryClient, ManifestByDigest) {
    std::string digest = sha256_digest(manifest_body);
    TestServer server([&](const HttpRequest& request) {
        // No Docker-Content-Digest: the reference itself is checked.
        if (request.path == manifests_path + digest) {
            return reply(200, "OK", manifest_body, {{"Content-Type", std::string(media_type::oci_manifest)}});
        }
        return reply(200, "OK", manifest_body + " ", {{"Content-Type", std::string(media_type::oci_manifest)}});
    });
    RegistryClient client(server.host(), repository, test_options());
    Manifest manifest = client.get_manifest(digest, {std::string(media_type::oci_manifest)});
    EXPECT_EQ(manifest.digest, digest);
    EXPECT_EQ(manifest.body, manifest_body);

    std::string other = sha256_digest("something else");
    EXPECT_EQ(error_of([&] { client.get_manifest(other, {std::string(media_type::oci_manifest)}); }),
              "reading manifest " + other + " in " + server.host() + "/library/busybox: digest mismatch: got " +
                  sha256_digest(manifest_body + " "));
}

TEST(RegistryClient, ManifestWithWrongDockerContentDigest) {
    std::string wrong = sha256_digest("not the manifest");
    TestServer server([&](const HttpRequest&) {
        return reply(200, "OK", manifest_body,
                     {{"Content-Type", std::string(media_type::oci_manifest)}, {"Docker-Content-Digest", wrong}});
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] { client.get_manifest("latest", {}); }),
              "reading manifest latest in " + server.host() + "/library/busybox: digest mismatch: " +
                  "Docker-Content-Digest is " + wrong + ", got " + sha256_digest(manifest_body));
}

TEST(RegistryClient, ManifestMediaTypeFromTheBodyWhenTheHeaderIsGeneric) {
    const std::string index = R"({"schemaVersion":2,"manifests":[]})";
    const std::string docker = R"({"schemaVersion":2,"mediaType":")" + std::string(media_type::docker_manifest) +
                               R"(","config":{},"layers":[]})";
    const std::string schema1 = R"({"schemaVersion":1,"name":"x","tag":"y","signatures":[]})";
    TestServer server([&](const HttpRequest& request) {
        if (request.path == manifests_path + "index") return manifest_reply(index, "application/json");
        if (request.path == manifests_path + "docker") return manifest_reply(docker, "text/plain; charset=utf-8");
        if (request.path == manifests_path + "schema1") return reply(200, "OK", schema1);
        return manifest_reply(manifest_body, "Application/VND.oci.image.manifest.v1+json; charset=utf-8");
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(client.get_manifest("index", {}).media_type, media_type::oci_index);
    EXPECT_EQ(client.get_manifest("docker", {}).media_type, media_type::docker_manifest);
    EXPECT_EQ(client.get_manifest("schema1", {}).media_type, media_type::docker_schema1_signed_manifest);
    EXPECT_EQ(client.get_manifest("latest", {}).media_type, media_type::oci_manifest);
}

TEST(RegistryClient, ManifestLargerThanTheLimit) {
    std::string huge(size_t{4} * 1024 * 1024 + 1, ' ');
    TestServer server([&](const HttpRequest&) { return manifest_reply(huge); });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] { client.get_manifest("latest", {}); }),
              "manifest latest in " + server.host() + "/library/busybox is larger than 4 MiB");
    EXPECT_EQ(server.request_count(), 1);

    std::string exactly(size_t{4} * 1024 * 1024, ' ');
    TestServer fitting([&](const HttpRequest&) { return manifest_reply(exactly); });
    RegistryClient fitting_client(fitting.host(), repository, test_options());
    EXPECT_EQ(fitting_client.get_manifest("latest", {}).body.size(), exactly.size());
}

TEST(RegistryClient, AmbiguousManifestIsRefused) {
    const std::string both = R"({"schemaVersion":2,"config":{},"layers":[],"manifests":[]})";
    const std::string index =
        R"({"schemaVersion":2,"mediaType":")" + std::string(media_type::oci_index) + R"(","manifests":[]})";
    TestServer server([&](const HttpRequest& request) {
        if (request.path == manifests_path + "both") return manifest_reply(both);
        return manifest_reply(index, std::string(media_type::oci_manifest));
    });
    RegistryClient client(server.host(), repository, test_options());
    std::string prefix = " in " + server.host() + "/library/busybox: ambiguous manifest: ";
    EXPECT_EQ(error_of([&] { client.get_manifest("both", {}); }),
              "reading manifest both" + prefix + "it has both \"layers\" and \"manifests\"");
    EXPECT_EQ(error_of([&] { client.get_manifest("latest", {}); }),
              "reading manifest latest" + prefix + "its mediaType \"" + std::string(media_type::oci_index) +
                  "\" contradicts the Content-Type \"" + std::string(media_type::oci_manifest) + "\"");
}

TEST(RegistryClient, ManifestNotFound) {
    TestServer server([](const HttpRequest& request) {
        if (request.path == manifests_path + "json") {
            return reply(404, "Not Found",
                         R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]})",
                         {{"Content-Type", "application/json"}});
        }
        if (request.path == "/v2/nosuch/manifests/latest") {
            return reply(404, "Not Found",
                         R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})");
        }
        return reply(404, "Not Found");
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] { client.get_manifest("json", {}); }),
              "reading manifest json in " + server.host() + "/library/busybox: manifest unknown");
    EXPECT_EQ(error_of([&] { client.get_manifest("bare", {}); }),
              "reading manifest bare in " + server.host() + "/library/busybox: manifest unknown");
    RegistryClient nosuch(server.host(), "nosuch", test_options());
    EXPECT_EQ(
        error_of([&] { nosuch.get_manifest("latest", {}); }),
        "reading manifest latest in " + server.host() + "/nosuch: name unknown: repository name not known to registry");
    EXPECT_EQ(server.request_count(), 3);  // no retries for a 404
}

TEST(RegistryClient, ManifestReferenceIsChecked) {
    RegistryClient client("127.0.0.1:1", repository, test_options());
    EXPECT_EQ(error_of([&] { client.get_manifest("bad/tag", {}); }),
              "reading manifest bad/tag in 127.0.0.1:1/library/busybox: invalid tag");
    EXPECT_EQ(error_of([&] { client.get_manifest("sha512:abc", {}); }),
              "reading manifest sha512:abc in 127.0.0.1:1/library/busybox: not a sha256 digest");
}

TEST(RegistryClient, ConnectionRefused) {
    // Bind and close a socket to find a port nobody listens on.
    int port;
    {
        TestServer server([](const HttpRequest&) { return reply(200, "OK"); });
        port = server.port();
    }
    ClientOptions options = test_options();
    options.max_attempts = 2;
    RegistryClient client("127.0.0.1:" + std::to_string(port), repository, options);
    std::string message = error_of([&] { client.get_manifest("latest", {}); });
    std::string prefix = "reading manifest latest in 127.0.0.1:" + std::to_string(port) +
                         "/library/busybox: GET http://127.0.0.1:" + std::to_string(port) +
                         "/v2/library/busybox/manifests/latest: ";
    EXPECT_EQ(message.substr(0, prefix.size()), prefix) << message;
}

// ---- Retries ----

TEST(RegistryClient, ServerErrorThenSuccess) {
    std::atomic<int> calls{0};
    TestServer server([&](const HttpRequest&) {
        if (calls++ == 0) return reply(500, "Internal Server Error", "oops");
        return manifest_reply();
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(client.get_manifest("latest", {}).body, manifest_body);
    EXPECT_EQ(server.request_count(), 2);
}

TEST(RegistryClient, ServerErrorEveryTime) {
    TestServer server([](const HttpRequest&) { return reply(503, "Service Unavailable"); });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] { client.get_manifest("latest", {}); }),
              "reading manifest latest in " + server.host() +
                  "/library/busybox: received unexpected HTTP status: 503 Service Unavailable");
    EXPECT_EQ(server.request_count(), 4);
}

TEST(RegistryClient, TruncatedManifestIsFetchedAgain) {
    std::atomic<int> calls{0};
    TestServer server([&](const HttpRequest&) {
        HttpReply answer = manifest_reply();
        if (calls++ == 0) answer.truncate_after = 10;
        return answer;
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(client.get_manifest("latest", {}).body, manifest_body);
    EXPECT_EQ(server.request_count(), 2);
}

// ---- Authentication ----

TEST(RegistryClient, BasicChallengeThenSuccess) {
    TestServer server([](const HttpRequest& request) {
        if (request.header("authorization") != "Basic dXNlcjpwYXNz") {
            return reply(401, "Unauthorized", "", {{"WWW-Authenticate", R"(Basic realm="Registry Realm")"}});
        }
        return manifest_reply();
    });
    ClientOptions options = test_options();
    options.credentials = Credentials{"user", "pass"};
    RegistryClient client(server.host(), repository, options);
    EXPECT_EQ(client.get_manifest("latest", {}).body, manifest_body);
    EXPECT_EQ(client.get_manifest("latest", {}).body, manifest_body);
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_FALSE(requests[0].has_header("authorization"));
    EXPECT_EQ(requests[1].header("authorization"), "Basic dXNlcjpwYXNz");
    EXPECT_EQ(requests[2].header("authorization"), "Basic dXNlcjpwYXNz");  // kept for later requests
}

TEST(RegistryClient, BasicChallengeWithoutOrWithWrongCredentials) {
    TestServer server([](const HttpRequest& request) {
        if (request.header("authorization") != "Basic dXNlcjpwYXNz") {
            return reply(401, "Unauthorized", "", {{"WWW-Authenticate", R"(Basic realm="Registry Realm")"}});
        }
        return manifest_reply();
    });
    RegistryClient anonymous(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] { anonymous.get_manifest("latest", {}); }),
              "reading manifest latest in " + server.host() + "/library/busybox: authentication required for " +
                  server.host());
    ClientOptions options = test_options();
    options.credentials = Credentials{"user", "wrong"};
    RegistryClient wrong(server.host(), repository, options);
    EXPECT_EQ(error_of([&] { wrong.get_manifest("latest", {}); }),
              "reading manifest latest in " + server.host() + "/library/busybox: authentication required");
}

// A registry whose token server (at /token on the same host) gives "tok-<n>" to user:pass.
struct BearerRegistry {
    std::atomic<int> token_requests{0};
    std::atomic<int> manifest_requests{0};
    std::string challenge_scope = "repository:library/busybox:pull";
    bool reject_tokens = false;
    std::string blob;
    TestServer server{[this](const HttpRequest& request) { return handle(request); }};

    HttpReply handle(const HttpRequest& request) {
        if (request.path == "/token") {
            int n = ++token_requests;
            if (request.header("authorization") != "Basic dXNlcjpwYXNz") {
                return reply(401, "Unauthorized", R"({"details":"incorrect username or password"})");
            }
            return reply(200, "OK", R"({"token":"tok-)" + std::to_string(n) + R"(","expires_in":300})");
        }
        if (request.header("authorization").rfind("Bearer tok-", 0) != 0 || reject_tokens) {
            std::string challenge = R"(Bearer realm="http://)" + request.header("host") + R"(/token",service="test")";
            if (!challenge_scope.empty()) challenge += R"(,scope=")" + challenge_scope + R"(")";
            return reply(401, "Unauthorized",
                         R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                         {{"WWW-Authenticate", challenge}});
        }
        if (request.path.rfind(blobs_path, 0) == 0) return reply(200, "OK", blob);
        ++manifest_requests;
        return manifest_reply();
    }
};

TEST(RegistryClient, BearerChallengeTokenAndReuse) {
    BearerRegistry registry;
    ClientOptions options = test_options();
    options.credentials = Credentials{"user", "pass"};
    RegistryClient client(registry.server.host(), repository, options);
    EXPECT_EQ(client.get_manifest("latest", {}).body, manifest_body);
    EXPECT_EQ(client.get_manifest("latest", {}).body, manifest_body);
    EXPECT_EQ(registry.token_requests, 1);
    EXPECT_EQ(registry.manifest_requests, 2);

    auto requests = registry.server.requests();
    ASSERT_EQ(requests.size(), 4u);
    EXPECT_FALSE(requests[0].has_header("authorization"));
    const HttpRequest& token = requests[1];
    EXPECT_EQ(token.path, "/token");
    EXPECT_EQ(token.query_values("service"), std::vector<std::string>{"test"});
    EXPECT_EQ(token.query_values("scope"), std::vector<std::string>{"repository:library/busybox:pull"});
    EXPECT_EQ(token.query_values("account"), std::vector<std::string>{"user"});
    EXPECT_EQ(token.header("authorization"), "Basic dXNlcjpwYXNz");
    EXPECT_EQ(requests[2].header("authorization"), "Bearer tok-1");
    EXPECT_EQ(requests[3].header("authorization"), "Bearer tok-1");
}

TEST(RegistryClient, BearerChallengeWithoutScopeAsksForPull) {
    BearerRegistry registry;
    registry.challenge_scope.clear();
    ClientOptions options = test_options();
    options.credentials = Credentials{"user", "pass"};
    RegistryClient client(registry.server.host(), repository, options);
    client.get_manifest("latest", {});
    auto requests = registry.server.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(requests[1].query_values("scope"), std::vector<std::string>{"repository:library/busybox:pull"});
}

TEST(RegistryClient, BearerTokenRefused) {
    BearerRegistry registry;
    ClientOptions options = test_options();
    options.credentials = Credentials{"user", "bad"};
    RegistryClient client(registry.server.host(), repository, options);
    EXPECT_EQ(error_of([&] { client.get_manifest("latest", {}); }),
              "reading manifest latest in " + registry.server.host() +
                  "/library/busybox: getting a token from http://" + registry.server.host() +
                  "/token: invalid username/password: incorrect username or password");
}

TEST(RegistryClient, UnauthorizedAfterAuthentication) {
    BearerRegistry registry;
    registry.reject_tokens = true;
    ClientOptions options = test_options();
    options.credentials = Credentials{"user", "pass"};
    RegistryClient client(registry.server.host(), repository, options);
    EXPECT_EQ(error_of([&] { client.get_manifest("latest", {}); }),
              "reading manifest latest in " + registry.server.host() +
                  "/library/busybox: unauthorized: authentication required");
    EXPECT_EQ(registry.token_requests, 1);
}

// ---- Blobs ----

TEST(RegistryClient, BlobStreamsWithTheRightDigest) {
    std::string blob = random_bytes(300'000, 1);
    std::string digest = sha256_digest(blob);
    TestServer server([&](const HttpRequest& request) {
        if (request.path == blobs_path + digest) return reply(200, "OK", blob);
        return reply(404, "Not Found");
    });
    RegistryClient client(server.host(), repository, test_options());
    uint64_t progress = 0;
    EXPECT_EQ(fetch(client, digest, blob.size(), &progress), blob);
    EXPECT_EQ(progress, blob.size());
    EXPECT_EQ(fetch(client, digest), blob);

    std::string missing = sha256_digest("missing");
    EXPECT_EQ(error_of([&] { fetch(client, missing); }),
              "reading blob " + missing + " in " + server.host() + "/library/busybox: blob unknown");
}

TEST(RegistryClient, BlobWithWrongBytes) {
    std::string digest = sha256_digest("hello there");
    TestServer server([](const HttpRequest&) { return reply(200, "OK", "hello world"); });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] { fetch(client, digest); }),
              "blob " + digest + ": digest mismatch: got " + sha256_digest("hello world"));
}

TEST(RegistryClient, BlobWithWrongSize) {
    std::string digest = sha256_digest("hello world");
    TestServer server([](const HttpRequest&) { return reply(200, "OK", "hello world"); });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] { fetch(client, digest, 5); }),
              "reading blob " + digest + " in " + server.host() +
                  "/library/busybox: size mismatch: expected 5 bytes, got 11");
    EXPECT_EQ(error_of([&] { fetch(client, digest, 20); }),
              "reading blob " + digest + " in " + server.host() +
                  "/library/busybox: size mismatch: expected 20 bytes, got 11");
}

TEST(RegistryClient, TruncatedBlobIsResumedWithRange) {
    std::string blob = random_bytes(300'000, 2);
    std::string digest = sha256_digest(blob);
    TestServer server([&](const HttpRequest& request) {
        std::string range = request.header("range");
        if (range.empty()) {
            HttpReply answer = reply(200, "OK", blob);
            answer.truncate_after = 100'000;
            return answer;
        }
        size_t first = std::stoul(range.substr(std::string("bytes=").size()));
        return reply(206, "Partial Content", blob.substr(first),
                     {{"Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(blob.size() - 1) + "/" +
                                            std::to_string(blob.size())}});
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(fetch(client, digest, blob.size()), blob);
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 2u);
    EXPECT_FALSE(requests[0].has_header("range"));
    EXPECT_EQ(requests[1].header("range"), "bytes=100000-");
}

TEST(RegistryClient, TruncatedBlobIsResumedWhenTheServerIgnoresRange) {
    std::string blob = random_bytes(300'000, 3);
    std::string digest = sha256_digest(blob);
    std::atomic<int> calls{0};
    TestServer server([&](const HttpRequest&) {
        HttpReply answer = reply(200, "OK", blob);
        int call = calls++;
        if (call < 2) answer.truncate_after = 100'000 * (call + 1);  // 100000 bytes, then 200000, then all
        return answer;
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_TRUE(fetch(client, digest, blob.size()) == blob);
    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 3u);
    EXPECT_EQ(requests[1].header("range"), "bytes=100000-");
    EXPECT_EQ(requests[2].header("range"), "bytes=200000-");
}

TEST(RegistryClient, BlobRetriesAfterServerError) {
    std::string blob = "layer bytes";
    std::atomic<int> calls{0};
    TestServer server([&](const HttpRequest&) {
        if (calls++ == 0) return reply(502, "Bad Gateway");
        return reply(200, "OK", blob);
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(fetch(client, sha256_digest(blob)), blob);
    EXPECT_EQ(server.request_count(), 2);
}

TEST(RegistryClient, StalledTransfersAreRetriedThenAbandoned) {
    std::string blob = random_bytes(10'000, 4);
    TestServer server([&](const HttpRequest& request) {
        // The headers, then silence: the body never comes.
        HttpReply answer =
            request.path.find("/manifests/") != std::string::npos ? manifest_reply() : reply(200, "OK", blob);
        answer.truncate_after = 0;
        answer.hang = true;
        return answer;
    });
    ClientOptions options = test_options();
    options.stall_seconds = 1;
    options.max_attempts = 2;
    RegistryClient client(server.host(), repository, options);
    std::string digest = sha256_digest(blob);
    std::string url = "http://" + server.host() + "/v2/library/busybox";
    auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(error_of([&] { fetch(client, digest, blob.size()); }),
              "reading blob " + digest + " in " + server.host() + "/library/busybox: GET " + url + "/blobs/" + digest +
                  ": the transfer stalled: no data for 1 s (gave up after 2 attempts)");
    EXPECT_EQ(error_of([&] { client.get_manifest("latest", {}); }),
              "reading manifest latest in " + server.host() + "/library/busybox: GET " + url +
                  "/manifests/latest: the transfer stalled: no data for 1 s (gave up after 2 attempts)");
    EXPECT_EQ(server.request_count(), 4);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(15));
}

TEST(RegistryClient, StallTimeoutFromTheEnvironment) {
    EXPECT_EQ(stall_seconds_from(nullptr), 60);
    EXPECT_EQ(stall_seconds_from("5"), 5);
    for (const char* wrong : {"", "0", "-1", "1.5", "10s", "99999999999"})
        EXPECT_EQ(error_of([&] { stall_seconds_from(wrong); }),
                  "invalid $BERTH_TRANSFER_STALL_TIMEOUT \"" + std::string(wrong) +
                      "\": expected a whole number of seconds, at least 1")
            << wrong;
}

TEST(RegistryClient, SinkExceptionsStopTheTransfer) {
    std::string blob = random_bytes(1'000'000, 4);
    TestServer server([&](const HttpRequest&) { return reply(200, "OK", blob); });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] {
                  client.fetch_blob(sha256_digest(blob), std::nullopt,
                                    [](const char*, size_t) { throw Error("disk full"); });
              }),
              "disk full");
    EXPECT_EQ(server.request_count(), 1);
}

TEST(RegistryClient, RedirectDropsAuthorizationForOtherHosts) {
    std::string blob = random_bytes(50'000, 5);
    std::string digest = sha256_digest(blob);
    std::string digest2 = sha256_digest(blob + "2");
    TestServer server([&](const HttpRequest& request) {
        if (request.path == "/storage/blob") return reply(200, "OK", blob);
        if (request.path == "/v2/library/busybox/same-host") return reply(200, "OK", blob + "2");
        if (request.header("authorization") != "Basic dXNlcjpwYXNz") {
            return reply(401, "Unauthorized", "", {{"WWW-Authenticate", R"(Basic realm="r")"}});
        }
        std::string port = request.header("host").substr(request.header("host").find(':'));
        if (request.path == blobs_path + digest) {
            return reply(307, "Temporary Redirect", "", {{"Location", "http://localhost" + port + "/storage/blob"}});
        }
        return reply(302, "Found", "", {{"Location", "../same-host"}});
    });
    ClientOptions options = test_options();
    options.credentials = Credentials{"user", "pass"};
    RegistryClient client(server.host(), repository, options);
    EXPECT_EQ(fetch(client, digest), blob);
    EXPECT_EQ(fetch(client, digest2), blob + "2");

    auto requests = server.requests();
    ASSERT_EQ(requests.size(), 5u);
    EXPECT_EQ(requests[1].header("authorization"), "Basic dXNlcjpwYXNz");
    EXPECT_EQ(requests[2].path, "/storage/blob");
    EXPECT_EQ(requests[2].header("host"), "localhost:" + std::to_string(server.port()));
    EXPECT_FALSE(requests[2].has_header("authorization"));
    EXPECT_EQ(requests[4].path, "/v2/library/busybox/same-host");
    EXPECT_EQ(requests[4].header("authorization"), "Basic dXNlcjpwYXNz");  // same host: kept
}

TEST(RegistryClient, RedirectLoop) {
    std::string digest = sha256_digest("loop");
    TestServer server([&](const HttpRequest& request) {
        return reply(302, "Found", "", {{"Location", request.path}});
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_EQ(error_of([&] { fetch(client, digest); }), "reading blob " + digest + " in " + server.host() +
                                                            "/library/busybox: too many redirects (more than 10)");
    EXPECT_EQ(server.request_count(), 11);
}

TEST(RegistryClient, BlobExists) {
    std::string digest = sha256_digest("present");
    TestServer server([&](const HttpRequest& request) {
        if (request.method == "HEAD" && request.path == blobs_path + digest) return reply(200, "OK", "present");
        return reply(404, "Not Found");
    });
    RegistryClient client(server.host(), repository, test_options());
    EXPECT_TRUE(client.blob_exists(digest));
    EXPECT_FALSE(client.blob_exists(sha256_digest("absent")));
}

// ---- BlobReader ----

TEST(BlobReader, ReadsAMultiMebibyteBlobInSmallPieces) {
    std::string blob = random_bytes(size_t{5} * 1024 * 1024 + 123, 6);
    std::string digest = sha256_digest(blob);
    TestServer server([&](const HttpRequest&) { return reply(200, "OK", blob); });
    RegistryClient client(server.host(), repository, test_options());
    std::atomic<uint64_t> progress{0};
    BlobReader reader(client, digest, blob.size(), [&](uint64_t bytes) { progress = bytes; });
    std::string received;
    char buffer[4093];
    for (;;) {
        size_t got = reader.read(buffer, sizeof buffer);
        if (got == 0) break;
        received.append(buffer, got);
    }
    EXPECT_EQ(reader.read(buffer, sizeof buffer), 0u);
    reader.finish();
    EXPECT_EQ(received.size(), blob.size());
    EXPECT_TRUE(received == blob);
    EXPECT_EQ(progress.load(), blob.size());
}

TEST(BlobReader, RethrowsADigestMismatch) {
    std::string blob = random_bytes(size_t{2} * 1024 * 1024, 7);
    std::string digest = sha256_digest("something else");
    TestServer server([&](const HttpRequest&) { return reply(200, "OK", blob); });
    RegistryClient client(server.host(), repository, test_options());
    std::string expected = "blob " + digest + ": digest mismatch: got " + sha256_digest(blob);

    BlobReader reader(client, digest, std::nullopt);
    EXPECT_EQ(error_of([&] {
                  char buffer[1000];
                  while (reader.read(buffer, sizeof buffer) > 0) {
                  }
              }),
              expected);
    EXPECT_EQ(error_of([&] { reader.finish(); }), expected);

    BlobReader unread(client, digest, std::nullopt);
    EXPECT_EQ(error_of([&] { unread.finish(); }), expected);  // finish reads the rest to verify it
}

TEST(BlobReader, StopsWhenDestroyedEarly) {
    std::string blob = random_bytes(size_t{8} * 1024 * 1024, 8);
    TestServer server([&](const HttpRequest&) { return reply(200, "OK", blob); });
    RegistryClient client(server.host(), repository, test_options());
    {
        BlobReader reader(client, sha256_digest(blob), blob.size());
        char buffer[10];
        EXPECT_EQ(reader.read(buffer, sizeof buffer), 10u);
        EXPECT_EQ(std::string(buffer, 10), blob.substr(0, 10));
    }
    { BlobReader never_read(client, sha256_digest(blob), blob.size()); }
}

TEST(BlobReader, StopsWhenDestroyedWhileTheServerIsSilent) {
    std::string blob = random_bytes(100'000, 9);
    TestServer server([&](const HttpRequest&) {
        HttpReply answer = reply(200, "OK", blob);
        answer.truncate_after = 1000;
        answer.hang = true;
        return answer;
    });
    RegistryClient client(server.host(), repository, test_options());
    auto start = std::chrono::steady_clock::now();
    {
        BlobReader reader(client, sha256_digest(blob), blob.size());
        char buffer[1000];
        size_t got = 0;
        while (got < sizeof buffer) got += reader.read(buffer + got, sizeof buffer - got);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
}

TEST(BlobReader, ReadersShareOneToken) {
    BearerRegistry registry;
    registry.blob = random_bytes(size_t{1024} * 1024, 10);
    std::string digest = sha256_digest(registry.blob);
    ClientOptions options = test_options();
    options.credentials = Credentials{"user", "pass"};
    RegistryClient client(registry.server.host(), repository, options);
    std::vector<std::unique_ptr<BlobReader>> readers;
    for (int i = 0; i < 4; ++i) readers.push_back(std::make_unique<BlobReader>(client, digest, registry.blob.size()));
    for (auto& reader : readers) {
        std::string received;
        char buffer[65536];
        while (size_t got = reader->read(buffer, sizeof buffer)) received.append(buffer, got);
        reader->finish();
        EXPECT_TRUE(received == registry.blob);
    }
    EXPECT_EQ(registry.token_requests, 1);
}

}  // namespace
}  // namespace berth::registry
