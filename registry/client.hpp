// A client for one repository of an OCI distribution-spec registry (libcurl): manifests, blobs, authentication.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/auth.hpp"

namespace berth::registry {

inline constexpr long default_stall_seconds = 60;

// The stall timeout of transfers: $BERTH_TRANSFER_STALL_TIMEOUT (whole seconds, at least 1) when it is set, else
// default_stall_seconds. stall_seconds_from parses the variable's value (null: not set) and throws
// Error("invalid $BERTH_TRANSFER_STALL_TIMEOUT \"<value>\": expected a whole number of seconds, at least 1").
long stall_seconds_from(const char* value);
long stall_seconds_from_environment();

struct ClientOptions {
    bool tls_verify = true;
    bool plain_http = false;  // talk http:// (an insecure registry); otherwise https://
    std::optional<Credentials> credentials;
    std::string user_agent = "berth";
    // Per request: the first and three retries (Podman's retry = 3), on 5xx, 429, stalls and connection errors, with
    // exponential back-off.
    int max_attempts = 4;
    long retry_delay_ms = 200;  // the first back-off; each further one doubles it
    // A transfer that makes no progress (under 1 byte/s) for this long is abandoned and tried again: 60 s, as Podman.
    long stall_seconds = default_stall_seconds;
    size_t max_manifest_bytes = size_t{4} * 1024 * 1024;
    bool push_access = false;  // ask token servers for pull and push access when a challenge names no scope
};

// What a request sends: size bytes from offset on, read from fd with pread (so a retry can send them again), or
// taken from data when fd is -1. progress, when given, is called with the bytes sent so far of this attempt.
struct RequestBody {
    int fd = -1;
    std::string_view data;
    uint64_t offset = 0;
    uint64_t size = 0;
    std::function<void(uint64_t sent)> progress;
};

// A registry's reply to send().
struct HttpReply {
    long status = 0;
    std::string url;                                           // where the request went in the end
    std::vector<std::pair<std::string, std::string>> headers;  // lowercase names
    std::string body;                                          // of a reply that is not a success (at most 64 KiB)
    std::string error_text;  // of a reply that is not a success: the registry's error text or the status's

    bool success() const { return status >= 200 && status < 300; }
    // The value of the first header of that (lowercase) name, or nullptr.
    const std::string* header(std::string_view name) const;
};

struct Manifest {
    std::string media_type;
    std::string digest;  // "sha256:<hex>" of body
    std::string body;
};

// Talks to one repository of one registry. Thread-safe: several threads (such as BlobReaders) may use one client at
// once; each request runs on its own libcurl handle, and the authentication state is shared between them.
//
// Authentication starts anonymous. On a 401 the client answers the registry's challenge: Basic with the
// credentials, Bearer with a token from the challenge's realm (for the challenge's scope, else pull access to the
// repository), and keeps using that for later requests, fetching a new token when the registry rejects the old one.
// Redirects are followed (at most 10), without the Authorization header when they lead to another host.
//
// Errors are berth::Error naming the registry, the repository and what was asked for.
class RegistryClient {
public:
    // host as in a Reference ("docker.io" means registry-1.docker.io; "localhost:5000"), repository as its path
    // ("library/busybox").
    RegistryClient(std::string host, std::string repository, ClientOptions options = {});
    ~RegistryClient();
    RegistryClient(const RegistryClient&) = delete;
    RegistryClient& operator=(const RegistryClient&) = delete;

    const std::string& host() const;
    const std::string& repository() const;

    // GET /v2/<repository>/manifests/<reference> (a tag or a digest), accepting the given media types (all that
    // berth understands when empty). Checks that the body is at most max_manifest_bytes and that its sha256 is the
    // reference when that is a digest, else the Docker-Content-Digest header when there is one. The media type is
    // the Content-Type, or what the body says when the header is missing or generic (application/json, ...). An
    // ambiguous document (registry/manifest_format.hpp: both "layers" and "manifests", or a "mediaType" that
    // contradicts the Content-Type) is refused: "reading manifest <reference> in <host>/<repository>: ambiguous
    // manifest: <why>". Errors read "reading manifest <reference> in <host>/<repository>: <why>", e.g. "manifest
    // unknown".
    Manifest get_manifest(const std::string& reference, const std::vector<std::string>& accept);

    // Streams GET /v2/<repository>/blobs/<digest> into sink as the bytes arrive, hashing them. A connection that
    // breaks mid-transfer is resumed with a Range request; sink sees every byte exactly once. At the end the size
    // (when expected_size is given) and the digest are checked: a mismatch throws
    // Error("blob <digest>: digest mismatch: got <actual>"), and everything sink got must then be thrown away.
    // progress, when given, is called now and then with the number of bytes so far, and once at the end.
    // Exceptions thrown by sink or progress stop the transfer and come out of fetch_blob unchanged.
    void fetch_blob(const std::string& digest, std::optional<uint64_t> expected_size,
                    const std::function<void(const char* data, size_t size)>& sink,
                    const std::function<void(uint64_t bytes)>& progress = nullptr);

    // HEAD /v2/<repository>/blobs/<digest>: whether the registry has the blob.
    bool blob_exists(const std::string& digest);

    // GET /v2/, the version check, answering the registry's challenge as for any request (Basic with the
    // credentials, or a Bearer token from the challenge's realm, asked for without a scope when the client has no
    // repository, as for `berth login`). Returns when the registry accepts the request; otherwise throws
    // Error("checking access to <host>: <why>"); why says "invalid username/password" when the registry or its token
    // server rejects the credentials.
    void check_access();

    // The URL of a path below the repository: repository_url("/blobs/uploads/") is
    // "https://<host>/v2/<repository>/blobs/uploads/".
    std::string repository_url(std::string_view path) const;

    // Sends one request (url absolute, such as an upload's Location) with authentication as for every request and
    // redirects followed; the body, when given, is sent again from its start on each attempt. Up to max_attempts
    // attempts (0: the client's max_attempts) on 5xx, 429 and broken connections. Returns the registry's reply
    // whatever its status; throws Error("<what>: <METHOD> <url>: <why>") when no reply came.
    HttpReply send(const std::string& method, const std::string& url, const std::vector<std::string>& headers,
                   const RequestBody* body, const std::string& what, int max_attempts = 0);

private:
    friend class BlobReader;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// A blob as a stream to read from, downloaded by fetch_blob on a thread of its own into a bounded buffer (1 MiB),
// so that a consumer such as a tar unpacker can read while the download goes on. The client must outlive the
// reader; progress is called on the download thread.
class BlobReader {
public:
    BlobReader(RegistryClient& client, std::string digest, std::optional<uint64_t> expected_size,
               std::function<void(uint64_t)> progress = nullptr);
    // Stops the download (promptly, even while it waits for the network) and waits for its thread.
    ~BlobReader();
    BlobReader(const BlobReader&) = delete;
    BlobReader& operator=(const BlobReader&) = delete;

    // Copies up to size bytes into buffer and returns how many, waiting for at least one; 0 at the end of the blob.
    // Rethrows the download's error (such as a digest mismatch) as soon as there is one, at every call.
    size_t read(char* buffer, size_t size);

    // Reads and drops whatever the consumer did not read, so that the whole blob is verified, waits for the download
    // thread, and rethrows its error, if any.
    void finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace berth::registry
