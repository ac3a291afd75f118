// Pushing blobs (distribution spec, "Pushing blobs"): an existence check, a cross-repository mount, and uploads in
// one PUT or in PATCH chunks, each step following the Location the registry answered with.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "registry/client.hpp"

namespace berth::registry {

// The URL a Location header names, resolved against the URL of the request it answered: absolute ("http://..."),
// scheme-relative ("//host/..."), host-relative ("/v2/...") or relative to the request's directory. Its query
// (such as an upload's _state=...) is kept as it is.
std::string resolve_location(std::string_view request_url, std::string_view location);

// The URL with one more query parameter, its value percent-encoded: ("/u?_state=x", "digest", "sha256:ab") is
// "/u?_state=x&digest=sha256%3Aab". A fragment stays at the end.
std::string with_query_parameter(std::string_view url, std::string_view name, std::string_view value);

// The last byte a registry says it holds of an upload, from its Range header ("0-1023" or "bytes=0-1023");
// nothing for an empty upload, an absent or malformed header.
std::optional<uint64_t> upload_range_end(const HttpReply& reply);

// A blob to push: size bytes of the file fd, from its start.
struct BlobSource {
    std::string digest;
    uint64_t size = 0;
    int fd = -1;
};

struct BlobUploadOptions {
    // A repository of the same registry that holds the blob: it is mounted from there when the registry agrees.
    std::string mount_from;
    // Blobs larger than this go in PATCH requests of this many bytes (then an empty PUT); 0: always one PUT.
    uint64_t chunk_size = 0;
    // Called with the bytes of the blob the registry has so far.
    std::function<void(uint64_t bytes)> progress;
    // The wait before going on after a broken request; it doubles with each further one.
    std::chrono::milliseconds resume_delay{100};
};

enum class BlobUploadOutcome {
    present,   // the repository had the blob already
    mounted,   // mounted from options.mount_from, without sending its bytes
    uploaded,  // its bytes were sent
};

// Puts the blob into the client's repository unless it is there (HEAD). A chunked upload whose request breaks
// resumes at the byte the registry reports it holds (a GET of the upload), at most a few times. The registry's
// Docker-Content-Digest, when it sends one, must be the blob's digest. Errors read
// "uploading blob <digest> to <host>/<repository>: <why>".
BlobUploadOutcome upload_blob(RegistryClient& client, const BlobSource& blob, const BlobUploadOptions& options);

}  // namespace berth::registry
