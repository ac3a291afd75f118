#include "registry/blob_upload.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"

namespace berth::registry {
namespace {

// How many times an upload goes on after a request broke: a chunked one where the registry says it stands, a
// monolithic one from the start, after a wait that doubles each time.
constexpr int max_resumes = 5;

bool is_unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

std::string percent_encode(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string encoded;
    for (char c : text) {
        if (is_unreserved(c)) {
            encoded += c;
        } else {
            auto byte = static_cast<unsigned char>(c);
            encoded += '%';
            encoded += hex[byte >> 4];
            encoded += hex[byte & 0xF];
        }
    }
    return encoded;
}

// An upload under way: what it is (for errors) and where the registry said to go on.
struct Upload {
    RegistryClient& client;
    const BlobSource& blob;
    const BlobUploadOptions& options;
    std::string what;
    std::string location;

    [[noreturn]] void fail(const HttpReply& reply, std::string_view step) const {
        throw Error(what + ": " + std::string(step) + ": " + reply.error_text);
    }

    // Takes the Location of a reply as where the upload goes on.
    void follow(const HttpReply& reply, std::string_view step) {
        const std::string* next = reply.header("location");
        if (next == nullptr || next->empty())
            throw Error(what + ": " + std::string(step) + ": the reply has no Location");
        location = resolve_location(reply.url, *next);
    }

    void check_digest(const HttpReply& reply) const {
        const std::string* stored = reply.header("docker-content-digest");
        if (stored != nullptr && !stored->empty() && *stored != blob.digest)
            throw Error(what + ": the registry stored it as " + *stored);
    }

    // Waits options.resume_delay before the first resumption, twice that before the second, and so on.
    void wait_before_resuming(int resumes) const { std::this_thread::sleep_for(options.resume_delay * (1 << resumes)); }

    void report(uint64_t bytes) const {
        if (options.progress) options.progress(bytes);
    }

    // POST .../blobs/uploads/?mount=&from=: true when mounted; otherwise the registry opened an upload.
    bool try_mount() {
        std::string url = repository_url_with_query("mount=" + percent_encode(blob.digest) +
                                                    "&from=" + percent_encode(options.mount_from));
        RequestBody empty;
        HttpReply reply = client.send("POST", url, {}, &empty, what);
        if (reply.status == 201) {
            check_digest(reply);
            return true;
        }
        if (reply.status != 202) fail(reply, "mounting it from " + options.mount_from);
        log_debug("mounting blob " + blob.digest + " from " + options.mount_from + " refused: uploading it");
        follow(reply, "starting the upload");
        return false;
    }

    std::string repository_url_with_query(const std::string& query) const {
        return client.repository_url("/blobs/uploads/?" + query);
    }

    void start() {
        RequestBody empty;
        HttpReply reply = client.send("POST", client.repository_url("/blobs/uploads/"), {}, &empty, what);
        if (reply.status != 202) fail(reply, "starting the upload");
        follow(reply, "starting the upload");
    }

    // The closing PUT ?digest=, with the bytes from offset on (none for the end of a chunked upload). Sent once: the
    // registry's upload state may have changed when it broke. Returns the reply, or nothing when none came.
    std::optional<HttpReply> put_rest(uint64_t offset) {
        RequestBody body{blob.fd, {}, offset, blob.size - offset, nullptr};
        if (options.progress) body.progress = [&](uint64_t sent) { report(offset + sent); };
        try {
            return client.send("PUT", with_query_parameter(location, "digest", blob.digest),
                               {"Content-Type: application/octet-stream"}, &body, what, 1);
        } catch (const Error& error) {
            log_debug(error.what());
            return std::nullopt;
        }
    }

    void completed(const HttpReply& reply) {
        check_digest(reply);
        report(blob.size);
    }

    // The whole blob in one PUT. A PUT that breaks or meets a server error starts a new upload, a few times.
    void upload_whole() {
        for (int restarts = 0;; ++restarts) {
            std::optional<HttpReply> reply = put_rest(0);
            if (reply && (reply->status == 201 || reply->status == 204)) return completed(*reply);
            bool transient = !reply || reply->status >= 500 || reply->status == 429;
            if (reply && (!transient || restarts == max_resumes)) fail(*reply, "completing the upload");
            if (!reply && restarts == max_resumes)
                throw Error(what + ": the upload broke off " + std::to_string(restarts + 1) + " times");
            wait_before_resuming(restarts);
            start();
        }
    }

    void finish_chunks() {
        std::optional<HttpReply> reply = put_rest(blob.size);
        if (!reply) throw Error(what + ": completing the upload: no reply from the registry");
        if (reply->status != 201 && reply->status != 204) fail(*reply, "completing the upload");
        completed(*reply);
    }

    // Sends one PATCH of the bytes from offset on; returns whether the registry took them.
    bool send_chunk(uint64_t offset, uint64_t length) {
        RequestBody body{blob.fd, {}, offset, length, nullptr};
        if (options.progress) body.progress = [&](uint64_t sent) { report(offset + sent); };
        std::vector<std::string> headers = {
            "Content-Type: application/octet-stream",
            "Content-Range: " + std::to_string(offset) + "-" + std::to_string(offset + length - 1)};
        try {
            HttpReply reply = client.send("PATCH", location, headers, &body, what, 1);
            if (reply.status == 202) {
                follow(reply, "uploading a chunk");
                return true;
            }
            if (reply.status < 500 && reply.status != 416 && reply.status != 429) fail(reply, "uploading a chunk");
            log_debug(what + ": PATCH " + location + ": " + reply.error_text);
        } catch (const Error& error) {
            log_debug(std::string(error.what()));
        }
        return false;
    }

    // Asks the registry how much of the upload it holds; returns the offset to go on from. When the registry cannot
    // say, the upload starts over.
    uint64_t resume() {
        HttpReply reply = client.send("GET", location, {}, nullptr, what);
        if (!reply.success()) {
            log_debug(what + ": asking how far the upload is: " + reply.error_text + "; starting over");
            start();
            return 0;
        }
        if (reply.header("location") != nullptr) follow(reply, "asking how far the upload is");
        auto end = upload_range_end(reply);
        uint64_t offset = end ? *end + 1 : 0;
        if (offset > blob.size) throw Error(what + ": the registry holds more bytes than the blob has");
        return offset;
    }

    void upload_in_chunks() {
        uint64_t offset = 0;
        int resumes = 0;
        while (offset < blob.size) {
            uint64_t length = std::min(options.chunk_size, blob.size - offset);
            if (send_chunk(offset, length)) {
                offset += length;
                continue;
            }
            if (++resumes > max_resumes)
                throw Error(what + ": the upload broke off " + std::to_string(resumes) + " times");
            wait_before_resuming(resumes - 1);
            offset = resume();
        }
        finish_chunks();
    }
};

}  // namespace

std::string resolve_location(std::string_view request_url, std::string_view location) {
    location = trim(location);
    size_t scheme_end = location.find("://");
    if (scheme_end != std::string_view::npos &&
        location.substr(0, scheme_end).find_first_of("/?#") == std::string_view::npos) {
        return std::string(location);
    }
    size_t request_scheme_end = request_url.find("://");
    std::string_view scheme = request_scheme_end == std::string_view::npos ? std::string_view("https")
                                                                           : request_url.substr(0, request_scheme_end);
    if (location.starts_with("//")) return std::string(scheme) + ":" + std::string(location);
    size_t authority = request_scheme_end == std::string_view::npos ? 0 : request_scheme_end + 3;
    size_t path_start = request_url.find_first_of("/?#", authority);
    std::string_view origin = request_url.substr(0, path_start);
    if (location.starts_with("/")) return std::string(origin) + std::string(location);
    std::string_view path =
        path_start == std::string_view::npos ? std::string_view("/") : request_url.substr(path_start);
    path = path.substr(0, path.find_first_of("?#"));
    if (path.empty()) path = "/";
    if (location.starts_with("?")) return std::string(origin) + std::string(path) + std::string(location);
    std::string_view directory = path.substr(0, path.rfind('/') + 1);
    return std::string(origin) + std::string(directory) + std::string(location);
}

std::string with_query_parameter(std::string_view url, std::string_view name, std::string_view value) {
    size_t fragment = url.find('#');
    std::string_view before = url.substr(0, fragment);
    std::string_view rest = fragment == std::string_view::npos ? std::string_view() : url.substr(fragment);
    std::string result(before);
    if (before.find('?') == std::string_view::npos) {
        result += '?';
    } else if (!before.ends_with('?') && !before.ends_with('&')) {
        result += '&';
    }
    result += percent_encode(name) + "=" + percent_encode(value);
    result += rest;
    return result;
}

std::optional<uint64_t> upload_range_end(const HttpReply& reply) {
    const std::string* range = reply.header("range");
    if (range == nullptr) return std::nullopt;
    std::string_view text = trim(*range);
    if (text.starts_with("bytes=")) text.remove_prefix(6);
    size_t dash = text.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto start = parse_unsigned(text.substr(0, dash));
    auto end = parse_unsigned(text.substr(dash + 1));
    if (!start || !end || *start != 0 || *end == 0) return std::nullopt;  // "0-0": nothing (or one byte) held
    return *end;
}

BlobUploadOutcome upload_blob(RegistryClient& client, const BlobSource& blob, const BlobUploadOptions& options) {
    Upload upload{client,
                  blob,
                  options,
                  "uploading blob " + blob.digest + " to " + client.host() + "/" + client.repository(),
                  {}};
    if (!is_sha256_digest(blob.digest)) throw Error(upload.what + ": not a sha256 digest");
    if (client.blob_exists(blob.digest)) {
        upload.report(blob.size);
        return BlobUploadOutcome::present;
    }
    if (!options.mount_from.empty() && options.mount_from != client.repository()) {
        if (upload.try_mount()) {
            upload.report(blob.size);
            return BlobUploadOutcome::mounted;
        }
    } else {
        upload.start();
    }
    if (options.chunk_size == 0 || blob.size <= options.chunk_size) {
        upload.upload_whole();
    } else {
        upload.upload_in_chunks();
    }
    return BlobUploadOutcome::uploaded;
}

}  // namespace berth::registry
