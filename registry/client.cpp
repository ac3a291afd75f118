#include "registry/client.hpp"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>
#include <thread>
#include <utility>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/interrupt.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "registry/curl_library.hpp"
#include "registry/manifest_format.hpp"
#include "registry/media_types.hpp"

namespace berth::registry {

namespace {

constexpr int max_redirects = 10;
constexpr size_t max_error_body_bytes = size_t{64} * 1024;  // kept of a failed reply, for its error message
constexpr size_t max_token_reply_bytes = size_t{1024} * 1024;
constexpr size_t max_idle_handles = 8;
constexpr long max_retry_delay_ms = 10'000;
constexpr auto progress_interval = std::chrono::milliseconds(100);
constexpr auto cancel_poll_interval = std::chrono::milliseconds(10);
constexpr size_t blob_reader_capacity = size_t{1024} * 1024;

// Thrown through a transfer to stop it when its BlobReader goes away; never leaves this file.
struct Cancelled {};

// Loads libcurl (once) on the first request.
void initialise_curl() { libcurl(); }

std::string to_lower(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return lower;
}

bool is_tag_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
           c == '-';
}

// tag := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
bool is_tag(std::string_view tag) {
    return !tag.empty() && tag.size() <= 128 && tag.front() != '.' && tag.front() != '-' &&
           std::all_of(tag.begin(), tag.end(), is_tag_char);
}

// "4 MiB" for whole mebibytes, else "<n> bytes".
std::string size_text(size_t bytes) {
    constexpr size_t mebibyte = size_t{1024} * 1024;
    if (bytes > 0 && bytes % mebibyte == 0) return std::to_string(bytes / mebibyte) + " MiB";
    return std::to_string(bytes) + " bytes";
}

struct CurlDeleter {
    void operator()(CURL* handle) const noexcept { libcurl().easy_cleanup(handle); }
};
using CurlPtr = std::unique_ptr<CURL, CurlDeleter>;

struct SlistDeleter {
    void operator()(curl_slist* list) const noexcept { libcurl().slist_free_all(list); }
};
using SlistPtr = std::unique_ptr<curl_slist, SlistDeleter>;

struct UrlDeleter {
    void operator()(CURLU* url) const noexcept { libcurl().url_cleanup(url); }
};

// One part of a parsed URL, or an empty string.
std::string url_part(CURLU* url, CURLUPart part, unsigned flags) {
    char* text = nullptr;
    if (libcurl().url_get(url, part, &text, flags) != CURLUE_OK || text == nullptr) return {};
    std::string value(text);
    libcurl().free(text);
    return value;
}

// "scheme://host:port" of an absolute URL, lowercase and with the default port filled in; empty when it is not one.
std::string origin_of(const std::string& url) {
    std::unique_ptr<CURLU, UrlDeleter> parsed(libcurl().url());
    if (!parsed || libcurl().url_set(parsed.get(), CURLUPART_URL, url.c_str(), 0) != CURLUE_OK) return {};
    std::string scheme = url_part(parsed.get(), CURLUPART_SCHEME, 0);
    std::string host = url_part(parsed.get(), CURLUPART_HOST, 0);
    std::string port = url_part(parsed.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT);
    if (scheme.empty() || host.empty()) return {};
    return to_lower(scheme) + "://" + to_lower(host) + ":" + port;
}

bool is_success(long status) { return status >= 200 && status < 300; }

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// Transport failures worth another attempt.
bool is_transient(CURLcode code) {
    switch (code) {
        case CURLE_COULDNT_RESOLVE_PROXY:
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
        case CURLE_RECV_ERROR:
        case CURLE_SEND_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_HTTP2:
        case CURLE_HTTP2_STREAM: return true;
        default: return false;
    }
}

// What one request chain (with its redirects) ended with.
struct Response {
    int attempts = 1;  // how many times the request was sent before the client gave up on it
    CURLcode code = CURLE_OK;
    std::string curl_error;  // when code is not CURLE_OK
    std::string method;
    std::string url;  // of the last hop
    long status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  // of the last hop; lowercase names
    std::string redirect;                                      // the absolute Location of a redirect
    std::string body;  // of a reply that is not a success, at most max_error_body_bytes

    bool ok() const { return code == CURLE_OK; }
    bool success() const { return ok() && is_success(status); }

    const std::string* header(std::string_view name) const {
        for (const auto& [key, value] : headers) {
            if (key == name) return &value;
        }
        return nullptr;
    }
    std::vector<std::string> headers_named(std::string_view name) const {
        std::vector<std::string> values;
        for (const auto& [key, value] : headers) {
            if (key == name) values.push_back(value);
        }
        return values;
    }
};

// Receives the body of a success (2xx) reply. Its methods may throw to stop the transfer; the exception comes out
// of the request unchanged.
class BodyHandler {
public:
    virtual ~BodyHandler() = default;
    // The reply's headers are complete (once per reply; a retried request has a new reply).
    virtual void start(const Response& response) = 0;
    virtual void data(const char* bytes, size_t size) = 0;
};

// Keeps a whole body in memory, up to a limit.
class BufferBody : public BodyHandler {
public:
    BufferBody(size_t limit, std::string too_large) : limit_(limit), too_large_(std::move(too_large)) {}

    void start(const Response& response) override {
        text.clear();
        if (const std::string* length = response.header("content-length")) {
            auto bytes = parse_unsigned(*length);
            if (bytes && *bytes > limit_) throw Error(too_large_);
        }
    }
    void data(const char* bytes, size_t size) override {
        if (text.size() + size > limit_) throw Error(too_large_);
        text.append(bytes, size);
    }

    std::string text;

private:
    size_t limit_;
    std::string too_large_;
};

// The state of one curl_easy_perform, shared with its callbacks.
struct Transfer {
    Response& response;
    BodyHandler* handler;
    const std::atomic<bool>* cancel;
    bool started = false;
    std::exception_ptr error;
    const RequestBody* upload = nullptr;  // what the request sends, if anything
    uint64_t sent = 0;                    // bytes of it sent so far
};

// Parses "HTTP/1.1 200 OK" (or "HTTP/2 200").
void parse_status_line(std::string_view line, Response& response) {
    response.status = 0;
    response.reason.clear();
    size_t space = line.find(' ');
    if (space == std::string_view::npos) return;
    std::string_view rest = line.substr(space + 1);
    size_t end = rest.find(' ');
    if (auto code = parse_unsigned(rest.substr(0, end))) response.status = static_cast<long>(*code);
    if (end != std::string_view::npos) response.reason = std::string(trim(rest.substr(end + 1)));
}

size_t on_header(char* buffer, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    size_t length = size * count;
    try {
        std::string_view line(buffer, length);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
        Response& response = transfer->response;
        if (line.starts_with("HTTP/")) {
            // A new reply (after a 1xx one): forget the previous reply's headers.
            response.headers.clear();
            parse_status_line(line, response);
        } else if (line.empty()) {
            if (is_success(response.status) && transfer->handler != nullptr && !transfer->started) {
                transfer->started = true;
                transfer->handler->start(response);
            }
        } else if (size_t colon = line.find(':'); colon != std::string_view::npos) {
            response.headers.emplace_back(to_lower(trim(line.substr(0, colon))),
                                          std::string(trim(line.substr(colon + 1))));
        }
    } catch (...) {
        transfer->error = std::current_exception();
        return 0;
    }
    return length;
}

size_t on_write(char* data, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    size_t length = size * count;
    try {
        if (transfer->cancel != nullptr && transfer->cancel->load()) throw Cancelled{};
        throw_if_interrupted();
        Response& response = transfer->response;
        if (is_success(response.status) && transfer->handler != nullptr) {
            if (!transfer->started) {
                transfer->started = true;
                transfer->handler->start(response);
            }
            transfer->handler->data(data, length);
        } else if (response.body.size() < max_error_body_bytes) {
            response.body.append(data, std::min(length, max_error_body_bytes - response.body.size()));
        }
    } catch (...) {
        transfer->error = std::current_exception();
        return 0;
    }
    return length;
}

// Hands libcurl the next bytes of a request body, from its file (pread, so that a retry can start over) or memory.
size_t on_read(char* buffer, size_t size, size_t count, void* user) {
    auto* transfer = static_cast<Transfer*>(user);
    const RequestBody& body = *transfer->upload;
    uint64_t left = body.size - transfer->sent;
    size_t length = static_cast<size_t>(std::min<uint64_t>(left, size * count));
    if (length == 0) return 0;
    try {
        if (body.fd >= 0) {
            ssize_t got = ::pread(body.fd, buffer, length, static_cast<off_t>(body.offset + transfer->sent));
            if (got < 0) throw_last_errno("reading the request body");
            if (got == 0) throw Error("reading the request body: the file ended early");
            length = static_cast<size_t>(got);
        } else {
            std::memcpy(buffer, body.data.data() + body.offset + transfer->sent, length);
        }
        transfer->sent += length;
        if (body.progress) body.progress(transfer->sent);
    } catch (...) {
        transfer->error = std::current_exception();
        return CURL_READFUNC_ABORT;
    }
    return length;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* transfer = static_cast<Transfer*>(user);
    return interrupt_signal() != 0 || (transfer->cancel != nullptr && transfer->cancel->load()) ? 1 : 0;
}

// Sleeps, waking early to throw Cancelled when cancel is set.
void sleep_unless_cancelled(std::chrono::milliseconds delay, const std::atomic<bool>* cancel) {
    auto until = std::chrono::steady_clock::now() + delay;
    for (;;) {
        if (cancel != nullptr && cancel->load()) throw Cancelled{};
        throw_if_interrupted();
        auto now = std::chrono::steady_clock::now();
        if (now >= until) return;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, cancel_poll_interval));
    }
}

// "GET <url>: <why>" for a transport failure; the registry's or the status's text for an HTTP error.
// not_found is what a 404 without a registry error body means.
std::string failure_text(const Response& response, std::string_view not_found) {
    if (!response.ok())
        return response.method + " " + response.url + ": " + response.curl_error +
               (response.attempts > 1 ? " (gave up after " + std::to_string(response.attempts) + " attempts)" : "");
    std::string text = registry_error_text(response.body);
    if (!text.empty()) return text;
    switch (response.status) {
        case 401: return "authentication required";
        case 403: return "requested access to the resource is denied";
        case 404: return std::string(not_found);
        default:
            return "received unexpected HTTP status: " + std::to_string(response.status) +
                   (response.reason.empty() ? "" : " " + response.reason);
    }
}

// The media type a manifest's JSON body declares or implies, or an empty string.
std::string media_type_of_body(std::string_view body) {
    auto manifest = nlohmann::json::parse(body, nullptr, false);
    if (manifest.is_discarded() || !manifest.is_object()) return {};
    auto type = manifest.find("mediaType");
    if (type != manifest.end() && type->is_string() && !type->get<std::string>().empty()) {
        return type->get<std::string>();
    }
    auto version = manifest.find("schemaVersion");
    if (version != manifest.end() && *version == 1) {
        return std::string(manifest.contains("signatures") ? media_type::docker_schema1_signed_manifest
                                                           : media_type::docker_schema1_manifest);
    }
    if (manifest.contains("manifests")) return std::string(media_type::oci_index);
    if (manifest.contains("config") && manifest.contains("layers")) return std::string(media_type::oci_manifest);
    return {};
}

// Feeds a blob's bytes to its sink exactly once across resumed replies, hashing and counting them.
class BlobBody : public BodyHandler {
public:
    BlobBody(const std::string& what, std::optional<uint64_t> expected_size,
             const std::function<void(const char*, size_t)>& sink, const std::function<void(uint64_t)>& progress)
        : what_(what), expected_size_(expected_size), sink_(sink), progress_(progress) {}

    void start(const Response& response) override {
        skip_ = received_;
        if (response.status == 206) {
            const std::string* range = response.header("content-range");
            std::optional<uint64_t> first;
            if (range != nullptr && range->starts_with("bytes ")) {
                std::string_view text = std::string_view(*range).substr(6);
                first = parse_unsigned(text.substr(0, text.find('-')));
            }
            if (!first) throw Error(what_ + ": partial reply without a valid Content-Range");
            if (*first > received_) {
                throw Error(what_ + ": the registry resumed at byte " + std::to_string(*first) + " instead of " +
                            std::to_string(received_));
            }
            skip_ = received_ - *first;
        } else if (const std::string* length = response.header("content-length"); length && expected_size_) {
            auto bytes = parse_unsigned(*length);
            if (bytes && *bytes != *expected_size_) throw size_mismatch(*bytes);
        }
    }

    void data(const char* bytes, size_t size) override {
        if (skip_ > 0) {
            size_t skipped = static_cast<size_t>(std::min<uint64_t>(skip_, size));
            bytes += skipped;
            size -= skipped;
            skip_ -= skipped;
            if (size == 0) return;
        }
        if (expected_size_ && received_ + size > *expected_size_) throw size_mismatch(received_ + size, true);
        hash_.update(bytes, size);
        sink_(bytes, size);
        received_ += size;
        if (progress_) {
            auto now = std::chrono::steady_clock::now();
            if (now - last_progress_ >= progress_interval) {
                last_progress_ = now;
                progress_(received_);
            }
        }
    }

    uint64_t received() const { return received_; }

    // Checks the size and the digest of everything received.
    void verify(const std::string& digest) {
        if (expected_size_ && received_ != *expected_size_) throw size_mismatch(received_);
        std::string actual = hash_.finish();
        if (actual != digest) throw Error("blob " + digest + ": digest mismatch: got " + actual);
        if (progress_) progress_(received_);
    }

private:
    Error size_mismatch(uint64_t got, bool at_least = false) const {
        return Error(what_ + ": size mismatch: expected " + std::to_string(*expected_size_) + " bytes, got " +
                     (at_least ? "at least " : "") + std::to_string(got));
    }

    const std::string& what_;
    std::optional<uint64_t> expected_size_;
    const std::function<void(const char*, size_t)>& sink_;
    const std::function<void(uint64_t)>& progress_;
    Sha256 hash_;
    uint64_t received_ = 0;
    uint64_t skip_ = 0;
    std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
};

}  // namespace

struct RegistryClient::Impl {
    Impl(std::string host_name, std::string repository_name, ClientOptions client_options)
        : host(std::move(host_name)), repository(std::move(repository_name)), options(std::move(client_options)) {
        initialise_curl();
        std::string api_host = host == "docker.io" || host == "index.docker.io" ? "registry-1.docker.io" : host;
        base_url = (options.plain_http ? "http://" : "https://") + api_host;
        registry_origin = origin_of(base_url + "/");
        if (registry_origin.empty()) throw Error("invalid registry host \"" + host + "\"");
        if (options.max_attempts < 1) options.max_attempts = 1;
    }

    std::string name() const { return host + "/" + repository; }
    std::string url(std::string_view path) const { return base_url + "/v2/" + repository + std::string(path); }

    // A libcurl handle for one request on this thread, returned to the pool afterwards.
    class Lease {
    public:
        explicit Lease(Impl& impl) : impl_(impl), handle_(impl.take_handle()) {}
        ~Lease() { impl_.give_back(std::move(handle_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        CURL* get() const { return handle_.get(); }

    private:
        Impl& impl_;
        CurlPtr handle_;
    };

    CurlPtr take_handle() {
        {
            std::lock_guard lock(pool_mutex);
            if (!idle.empty()) {
                CurlPtr handle = std::move(idle.back());
                idle.pop_back();
                return handle;
            }
        }
        CurlPtr handle(libcurl().easy_init());
        if (!handle) throw Error("cannot create a libcurl handle");
        return handle;
    }

    void give_back(CurlPtr handle) noexcept {
        std::lock_guard lock(pool_mutex);
        if (handle && idle.size() < max_idle_handles) idle.push_back(std::move(handle));
    }

    // One HTTP exchange, without following redirects.
    Response perform_hop(CURL* curl, const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers, BodyHandler* handler, const std::atomic<bool>* cancel,
                         const RequestBody* upload) {
        Response response;
        response.method = method;
        response.url = target;
        Transfer transfer{response, handler, cancel, false, nullptr, upload, 0};
        char error_buffer[CURL_ERROR_SIZE] = "";
        SlistPtr header_list;
        std::vector<std::string> all_headers = headers;
        // A body goes at once, without waiting a second for a "100 Continue" that registries rarely send.
        if (upload != nullptr) all_headers.emplace_back("Expect:");
        for (const std::string& header : all_headers) {
            curl_slist* extended = libcurl().slist_append(header_list.get(), header.c_str());
            if (extended == nullptr) throw Error("cannot allocate a libcurl header list");
            (void)header_list.release();
            header_list.reset(extended);
        }

        libcurl().easy_reset(curl);
        libcurl().easy_setopt(curl, CURLOPT_URL, target.c_str());
        libcurl().easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
        libcurl().easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        libcurl().easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        libcurl().easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
        libcurl().easy_setopt(curl, CURLOPT_USERAGENT, options.user_agent.c_str());
        libcurl().easy_setopt(curl, CURLOPT_HTTPHEADER, header_list.get());
        libcurl().easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options.tls_verify ? 1L : 0L);
        libcurl().easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options.tls_verify ? 2L : 0L);
        libcurl().easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.stall_seconds);
        libcurl().easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
        libcurl().easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, options.stall_seconds);
        libcurl().easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        libcurl().easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
        libcurl().easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
        libcurl().easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
        libcurl().easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        libcurl().easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        libcurl().easy_setopt(curl, CURLOPT_XFERINFODATA, &transfer);
        if (method == "HEAD") libcurl().easy_setopt(curl, CURLOPT_NOBODY, 1L);
        if (upload != nullptr) {
            libcurl().easy_setopt(curl, CURLOPT_UPLOAD, 1L);
            if (method != "PUT") libcurl().easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
            libcurl().easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload->size));
            libcurl().easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
            libcurl().easy_setopt(curl, CURLOPT_READDATA, &transfer);
        }

        CURLcode code = libcurl().easy_perform(curl);
        // The error buffer lives on this stack frame only.
        libcurl().easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
        if (transfer.error) std::rethrow_exception(transfer.error);
        if (cancel != nullptr && cancel->load()) throw Cancelled{};
        throw_if_interrupted();
        response.code = code;
        if (code != CURLE_OK) {
            response.curl_error = error_buffer[0] != '\0' ? error_buffer : libcurl().easy_strerror(code);
            // CURLOPT_LOW_SPEED_TIME ran out: say so plainly.
            if (code == CURLE_OPERATION_TIMEDOUT && response.curl_error.starts_with("Operation too slow"))
                response.curl_error =
                    "the transfer stalled: no data for " + std::to_string(options.stall_seconds) + " s";
            return response;
        }
        long status = 0;
        if (libcurl().easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status != 0) {
            response.status = status;
        }
        char* location = nullptr;
        if (libcurl().easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location != nullptr) {
            response.redirect = location;
        }
        return response;
    }

    // One request and its redirects; authorization goes only to hops on the origin of target.
    Response perform(const std::string& method, const std::string& target, const std::vector<std::string>& headers,
                     const std::string& authorization, BodyHandler* handler, const std::atomic<bool>* cancel,
                     const std::string& what, const RequestBody* upload = nullptr) {
        Lease lease(*this);
        std::string origin = origin_of(target);
        std::string current = target;
        for (int redirects = 0;; ++redirects) {
            std::vector<std::string> hop_headers = headers;
            if (!authorization.empty() && !origin.empty() && origin_of(current) == origin) {
                hop_headers.push_back("Authorization: " + authorization);
            }
            Response response = perform_hop(lease.get(), method, current, hop_headers, handler, cancel, upload);
            if (!response.ok() || !is_redirect(response.status) || response.redirect.empty()) return response;
            if (redirects == max_redirects) {
                throw Error(what + ": too many redirects (more than " + std::to_string(max_redirects) + ")");
            }
            if (origin_of(response.redirect).empty()) {
                throw Error(what + ": " + method + " " + current + ": redirect to an unsupported URL \"" +
                            response.redirect + "\"");
            }
            current = response.redirect;
        }
    }

    std::string current_authorization() {
        std::lock_guard lock(auth_mutex);
        return auth_value;
    }

    // Answers the 401 reply of a request that was sent with the authorization `used`. Returns whether the request
    // should be sent again (with whatever current_authorization() is now).
    bool answer_challenge(const Response& response, const std::string& used, const std::atomic<bool>* cancel,
                          const std::string& what) {
        std::lock_guard lock(auth_mutex);
        if (auth_value != used) return true;  // another request has answered a challenge meanwhile
        std::vector<Challenge> challenges;
        try {
            for (const std::string& value : response.headers_named("www-authenticate")) {
                std::vector<Challenge> parsed = parse_www_authenticate(value);
                challenges.insert(challenges.end(), parsed.begin(), parsed.end());
            }
        } catch (const Error& error) {
            throw Error(what + ": " + error.what());
        }
        std::optional<Challenge> challenge = choose_challenge(challenges);
        if (!challenge) {
            if (challenges.empty()) return false;
            throw Error(what + ": unsupported authentication scheme \"" + challenges.front().scheme + "\" of " + host);
        }
        std::string answer;
        if (challenge->scheme == "basic") {
            if (!options.credentials) throw Error(what + ": authentication required for " + host);
            answer = basic_authorization(*options.credentials);
        } else {
            auto get = [&](const std::string& token_url, const std::string& token_authorization) {
                return get_token(token_url, token_authorization, cancel);
            };
            try {
                std::string scope = repository.empty()    ? std::string()
                                    : options.push_access ? push_scope(repository)
                                                          : pull_scope(repository);
                answer = "Bearer " + fetch_bearer_token(*challenge, scope, options.credentials, get);
            } catch (const Error& error) {
                throw Error(what + ": " + error.what(), error.exit_status());
            }
        }
        if (answer == used) return false;  // rejected already
        auth_value = std::move(answer);
        return true;
    }

    TokenReply get_token(const std::string& token_url, const std::string& token_authorization,
                         const std::atomic<bool>* cancel) {
        BufferBody body(max_token_reply_bytes,
                        "GET " + token_url + ": the reply is larger than " + size_text(max_token_reply_bytes));
        Response response =
            request("GET", token_url, {}, false, token_authorization, &body, cancel, "GET " + token_url);
        if (!response.ok()) throw Error(failure_text(response, {}));
        return TokenReply{response.status, response.success() ? std::move(body.text) : response.body};
    }

    // A request to the registry, answering its authentication challenge once.
    Response exchange(const std::string& method, const std::string& target, const std::vector<std::string>& headers,
                      BodyHandler* handler, const std::atomic<bool>* cancel, const std::string& what,
                      const RequestBody* upload = nullptr) {
        bool answered = false;
        for (;;) {
            std::string used = current_authorization();
            Response response = perform(method, target, headers, used, handler, cancel, what, upload);
            if (!response.ok() || response.status != 401 || answered || origin_of(response.url) != registry_origin) {
                return response;
            }
            if (!answer_challenge(response, used, cancel, what)) return response;
            answered = true;
        }
    }

    bool worth_retrying(const Response& response) const {
        if (!response.ok()) return is_transient(response.code);
        return response.status == 429 || (response.status >= 500 && response.status != 501 && response.status != 505);
    }

    // Waits before attempt number `failures + 1`: retry_delay_ms, then twice that, and so on.
    void back_off(int failures, const Response& response, const std::atomic<bool>* cancel) const {
        long delay = options.retry_delay_ms;
        for (int i = 1; i < failures && delay < max_retry_delay_ms; ++i) delay *= 2;
        delay = std::clamp(delay, 0L, max_retry_delay_ms);
        log_debug(response.method + " " + response.url + ": " + failure_text(response, "not found") + "; retrying in " +
                  std::to_string(delay) + " ms");
        sleep_unless_cancelled(std::chrono::milliseconds(delay), cancel);
    }

    // A request with retries on transient failures; to the registry (answering challenges) when registry_auth,
    // else with the given authorization.
    Response request(const std::string& method, const std::string& target, const std::vector<std::string>& headers,
                     bool registry_auth, const std::string& fixed_authorization, BodyHandler* handler,
                     const std::atomic<bool>* cancel, const std::string& what, const RequestBody* upload = nullptr,
                     int max_attempts = 0) {
        if (max_attempts <= 0) max_attempts = options.max_attempts;
        for (int attempt = 1;; ++attempt) {
            Response response =
                registry_auth ? exchange(method, target, headers, handler, cancel, what, upload)
                              : perform(method, target, headers, fixed_authorization, handler, cancel, what, upload);
            if (attempt >= max_attempts || !worth_retrying(response)) {
                response.attempts = attempt;
                return response;
            }
            back_off(attempt, response, cancel);
        }
    }

    void fetch_blob(const std::string& digest, std::optional<uint64_t> expected_size,
                    const std::function<void(const char*, size_t)>& sink, const std::function<void(uint64_t)>& progress,
                    const std::atomic<bool>* cancel) {
        std::string what = "reading blob " + digest + " in " + name();
        if (!is_sha256_digest(digest)) throw Error(what + ": not a sha256 digest");
        std::string target = url("/blobs/" + digest);
        BlobBody body(what, expected_size, sink, progress);
        int failures = 0;
        int attempts = 0;
        for (;;) {
            ++attempts;
            std::vector<std::string> headers;
            if (body.received() > 0) headers.push_back("Range: bytes=" + std::to_string(body.received()) + "-");
            uint64_t before = body.received();
            Response response = exchange("GET", target, headers, &body, cancel, what);
            if (response.success()) break;
            if (body.received() > before) failures = 0;  // progress: the connection is worth more attempts
            ++failures;
            if (failures >= options.max_attempts || !worth_retrying(response)) {
                response.attempts = attempts;
                throw Error(what + ": " + failure_text(response, "blob unknown"));
            }
            back_off(failures, response, cancel);
        }
        body.verify(digest);
    }

    std::string host;
    std::string repository;
    ClientOptions options;
    std::string base_url;
    std::string registry_origin;

    std::mutex pool_mutex;
    std::vector<CurlPtr> idle;

    std::mutex auth_mutex;
    std::string auth_value;  // the Authorization value for registry requests; empty while anonymous
};

long stall_seconds_from(const char* value) {
    if (value == nullptr) return default_stall_seconds;
    auto seconds = parse_unsigned(value);
    if (!seconds || *seconds < 1 || *seconds > 1'000'000)
        throw Error("invalid $BERTH_TRANSFER_STALL_TIMEOUT \"" + std::string(value) +
                    "\": expected a whole number of seconds, at least 1");
    return static_cast<long>(*seconds);
}

long stall_seconds_from_environment() { return stall_seconds_from(std::getenv("BERTH_TRANSFER_STALL_TIMEOUT")); }

RegistryClient::RegistryClient(std::string host, std::string repository, ClientOptions options)
    : impl_(std::make_unique<Impl>(std::move(host), std::move(repository), std::move(options))) {}

RegistryClient::~RegistryClient() = default;

const std::string& RegistryClient::host() const { return impl_->host; }
const std::string& RegistryClient::repository() const { return impl_->repository; }

Manifest RegistryClient::get_manifest(const std::string& reference, const std::vector<std::string>& accept) {
    Impl& impl = *impl_;
    std::string what = "reading manifest " + reference + " in " + impl.name();
    bool by_digest = reference.find(':') != std::string::npos;
    if (by_digest && !is_sha256_digest(reference)) throw Error(what + ": not a sha256 digest");
    if (!by_digest && !is_tag(reference)) throw Error(what + ": invalid tag");

    std::vector<std::string> types = accept;
    if (types.empty()) types.assign(media_type::manifest_types.begin(), media_type::manifest_types.end());
    std::string accept_header = "Accept: ";
    for (size_t i = 0; i < types.size(); ++i) accept_header += (i == 0 ? "" : ", ") + types[i];
    BufferBody body(impl.options.max_manifest_bytes, "manifest " + reference + " in " + impl.name() +
                                                         " is larger than " +
                                                         size_text(impl.options.max_manifest_bytes));
    Response response =
        impl.request("GET", impl.url("/manifests/" + reference), {accept_header}, true, {}, &body, nullptr, what);
    if (!response.success()) throw Error(what + ": " + failure_text(response, "manifest unknown"));

    Manifest manifest;
    manifest.body = std::move(body.text);
    manifest.digest = sha256_digest(manifest.body);
    if (by_digest) {
        if (manifest.digest != reference) throw Error(what + ": digest mismatch: got " + manifest.digest);
    } else if (const std::string* header = response.header("docker-content-digest");
               header != nullptr && header->starts_with("sha256:") && *header != manifest.digest) {
        throw Error(what + ": digest mismatch: Docker-Content-Digest is " + *header + ", got " + manifest.digest);
    }
    std::string content_type;
    if (const std::string* header = response.header("content-type")) {
        content_type = to_lower(trim(std::string_view(*header).substr(0, header->find(';'))));
    }
    if (std::string why = manifest_ambiguity(content_type, manifest.body); !why.empty())
        throw Error(what + ": ambiguous manifest: " + why);
    manifest.media_type = content_type;
    if (is_generic_content_type(content_type)) {
        std::string declared = media_type_of_body(manifest.body);
        if (!declared.empty()) manifest.media_type = std::move(declared);
    }
    return manifest;
}

void RegistryClient::fetch_blob(const std::string& digest, std::optional<uint64_t> expected_size,
                                const std::function<void(const char*, size_t)>& sink,
                                const std::function<void(uint64_t)>& progress) {
    impl_->fetch_blob(digest, expected_size, sink, progress, nullptr);
}

bool RegistryClient::blob_exists(const std::string& digest) {
    Impl& impl = *impl_;
    std::string what = "checking blob " + digest + " in " + impl.name();
    if (!is_sha256_digest(digest)) throw Error(what + ": not a sha256 digest");
    Response response = impl.request("HEAD", impl.url("/blobs/" + digest), {}, true, {}, nullptr, nullptr, what);
    if (response.success()) return true;
    if (response.ok() && response.status == 404) return false;
    throw Error(what + ": " + failure_text(response, "blob unknown"));
}

std::string RegistryClient::repository_url(std::string_view path) const { return impl_->url(path); }

const std::string* HttpReply::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key == name) return &value;
    }
    return nullptr;
}

HttpReply RegistryClient::send(const std::string& method, const std::string& url,
                               const std::vector<std::string>& headers, const RequestBody* body,
                               const std::string& what, int max_attempts) {
    Impl& impl = *impl_;
    Response response = impl.request(method, url, headers, true, {}, nullptr, nullptr, what, body, max_attempts);
    if (!response.ok()) throw Error(what + ": " + failure_text(response, {}));
    HttpReply reply;
    reply.status = response.status;
    reply.url = std::move(response.url);
    reply.headers = std::move(response.headers);
    if (!reply.success()) reply.error_text = failure_text(response, "not found");
    reply.body = std::move(response.body);
    return reply;
}

void RegistryClient::check_access() {
    Impl& impl = *impl_;
    std::string what = "checking access to " + impl.host;
    Response response = impl.request("GET", impl.base_url + "/v2/", {}, true, {}, nullptr, nullptr, what);
    if (response.success()) return;
    if (response.ok() && (response.status == 401 || response.status == 403) && impl.options.credentials) {
        std::string text = registry_error_text(response.body);
        throw Error(what + ": invalid username/password" + (text.empty() ? "" : ": " + text));
    }
    throw Error(what + ": " + failure_text(response, "not found"));
}

struct BlobReader::State {
    std::mutex mutex;
    std::condition_variable readable;  // data, the end or an error arrived
    std::condition_variable writable;  // room in the buffer, or cancel
    std::vector<char> ring = std::vector<char>(blob_reader_capacity);
    size_t head = 0;   // index of the oldest byte
    size_t count = 0;  // bytes in the buffer
    bool done = false;
    std::exception_ptr error;
    std::atomic<bool> cancel{false};
    std::thread thread;

    // Called by the download thread with each piece of the blob.
    void push(const char* data, size_t size) {
        std::unique_lock lock(mutex);
        while (size > 0) {
            writable.wait(lock, [&] { return count < ring.size() || cancel.load(); });
            if (cancel.load()) throw Cancelled{};
            size_t tail = (head + count) % ring.size();
            size_t piece = std::min({size, ring.size() - count, ring.size() - tail});
            std::memcpy(ring.data() + tail, data, piece);
            count += piece;
            data += piece;
            size -= piece;
            readable.notify_one();
        }
    }

    void end(std::exception_ptr failure) {
        std::lock_guard lock(mutex);
        error = std::move(failure);
        done = true;
        readable.notify_all();
    }

    void stop() {
        {
            std::lock_guard lock(mutex);
            cancel.store(true);
        }
        writable.notify_all();
        if (thread.joinable()) thread.join();
    }
};

BlobReader::BlobReader(RegistryClient& client, std::string digest, std::optional<uint64_t> expected_size,
                       std::function<void(uint64_t)> progress)
    : state_(std::make_unique<State>()) {
    State* state = state_.get();
    RegistryClient::Impl* impl = client.impl_.get();
    state->thread =
        std::thread([state, impl, digest = std::move(digest), expected_size, progress = std::move(progress)] {
            std::exception_ptr failure;
            try {
                impl->fetch_blob(
                    digest, expected_size, [state](const char* data, size_t size) { state->push(data, size); },
                    progress, &state->cancel);
            } catch (const Cancelled&) {
            } catch (...) {
                failure = std::current_exception();
            }
            state->end(std::move(failure));
        });
}

BlobReader::~BlobReader() { state_->stop(); }

size_t BlobReader::read(char* buffer, size_t size) {
    State& state = *state_;
    std::unique_lock lock(state.mutex);
    if (size > 0) state.readable.wait(lock, [&] { return state.count > 0 || state.done; });
    if (state.error) std::rethrow_exception(state.error);
    if (size == 0 || state.count == 0) return 0;
    size_t piece = std::min({size, state.count, state.ring.size() - state.head});
    std::memcpy(buffer, state.ring.data() + state.head, piece);
    state.head = (state.head + piece) % state.ring.size();
    state.count -= piece;
    state.writable.notify_one();
    return piece;
}

void BlobReader::finish() {
    State& state = *state_;
    {
        std::unique_lock lock(state.mutex);
        for (;;) {
            state.readable.wait(lock, [&] { return state.count > 0 || state.done; });
            state.head = 0;
            state.count = 0;
            state.writable.notify_one();
            if (state.done) break;
        }
    }
    if (state.thread.joinable()) state.thread.join();
    if (state.error) std::rethrow_exception(state.error);
}

}  // namespace berth::registry
