// A tiny HTTP/1.1 server on 127.0.0.1 for the registry client to talk to: each request goes to a handler whose
// reply it sends (optionally cut short), and every request is kept for the test to inspect.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "common/unique_fd.hpp"

namespace berth::registry::test_http {

struct HttpRequest {
    std::string method;
    std::string target;  // path and query as sent
    std::string path;
    std::multimap<std::string, std::string> query;  // percent-decoded
    std::map<std::string, std::string> headers;     // lowercase names
    std::string body;

    std::string header(const std::string& name) const {
        auto it = headers.find(name);
        return it == headers.end() ? std::string() : it->second;
    }
    bool has_header(const std::string& name) const { return headers.count(name) > 0; }
    std::vector<std::string> query_values(const std::string& name) const {
        std::vector<std::string> values;
        for (auto [it, end] = query.equal_range(name); it != end; ++it) values.push_back(it->second);
        return values;
    }
};

struct HttpReply {
    int status = 200;
    std::string reason = "OK";
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    // Send only this many body bytes (Content-Length still promises all of them), then close the connection,
    // or, with hang, keep it open and silent until the client goes away.
    std::optional<size_t> truncate_after;
    bool hang = false;
};

inline HttpReply reply(int status, std::string reason, std::string body = {},
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpReply r;
    r.status = status;
    r.reason = std::move(reason);
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

using Handler = std::function<HttpReply(const HttpRequest&)>;

inline std::string to_lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

inline std::string percent_decode(std::string_view text) {
    std::string decoded;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            decoded += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else if (text[i] == '+') {
            decoded += ' ';
        } else {
            decoded += text[i];
        }
    }
    return decoded;
}

class TestServer {
public:
    explicit TestServer(Handler handler) : handler_(std::move(handler)) {
        listener_.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!listener_) throw std::runtime_error("socket failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(listener_.get(), 64) != 0) {
            throw std::runtime_error("bind or listen failed");
        }
        socklen_t length = sizeof address;
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        acceptor_ = std::thread([this] { accept_loop(); });
    }

    ~TestServer() {
        stopping_ = true;
        ::shutdown(listener_.get(), SHUT_RDWR);
        acceptor_.join();
        std::vector<std::thread> workers;
        {
            std::lock_guard lock(mutex_);
            for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
            workers.swap(workers_);
        }
        for (std::thread& worker : workers) worker.join();
    }

    int port() const { return port_; }
    std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
    int request_count() const { return count_.load(); }
    std::vector<HttpRequest> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    void accept_loop() {
        for (;;) {
            int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
            if (fd < 0) {
                if (stopping_) return;
                if (errno == EINTR || errno == ECONNABORTED) continue;
                return;
            }
            std::lock_guard lock(mutex_);
            if (stopping_) {
                ::close(fd);
                return;
            }
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            open_fds_.push_back(fd);
            workers_.emplace_back([this, fd] { serve(fd); });
        }
    }

    // Reads one request; false when the connection ends first.
    bool read_request(int fd, std::string& buffer, HttpRequest& request) {
        size_t end;
        while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
            if (!receive(fd, buffer)) return false;
        }
        std::string head = buffer.substr(0, end);
        buffer.erase(0, end + 4);
        size_t line_end = head.find("\r\n");
        std::string request_line = head.substr(0, line_end);
        size_t first = request_line.find(' ');
        size_t second = request_line.find(' ', first + 1);
        request.method = request_line.substr(0, first);
        request.target = request_line.substr(first + 1, second - first - 1);
        size_t question = request.target.find('?');
        request.path = request.target.substr(0, question);
        if (question != std::string::npos) {
            std::string query = request.target.substr(question + 1);
            size_t start = 0;
            while (start <= query.size()) {
                size_t amp = std::min(query.find('&', start), query.size());
                std::string pair = query.substr(start, amp - start);
                size_t equals = pair.find('=');
                if (!pair.empty()) {
                    request.query.emplace(percent_decode(pair.substr(0, equals)),
                                          equals == std::string::npos ? "" : percent_decode(pair.substr(equals + 1)));
                }
                start = amp + 1;
            }
        }
        size_t position = line_end == std::string::npos ? head.size() : line_end + 2;
        while (position < head.size()) {
            size_t next = std::min(head.find("\r\n", position), head.size());
            std::string line = head.substr(position, next - position);
            size_t colon = line.find(':');
            if (colon != std::string::npos) {
                std::string value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(" \t"));
                request.headers[to_lower(line.substr(0, colon))] = value;
            }
            position = next + 2;
        }
        size_t body_length = request.has_header("content-length") ? std::stoul(request.header("content-length")) : 0;
        while (buffer.size() < body_length) {
            if (!receive(fd, buffer)) return false;
        }
        request.body = buffer.substr(0, body_length);
        buffer.erase(0, body_length);
        return true;
    }

    bool receive(int fd, std::string& buffer) {
        char chunk[65536];
        ssize_t got = ::recv(fd, chunk, sizeof chunk, 0);
        if (got <= 0) return false;
        buffer.append(chunk, static_cast<size_t>(got));
        return true;
    }

    static bool send_all(int fd, std::string_view data) {
        while (!data.empty()) {
            ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
            if (sent <= 0) return false;
            data.remove_prefix(static_cast<size_t>(sent));
        }
        return true;
    }

    // Waits until the client closes the connection or the server stops.
    void wait_for_close(int fd, int max_ms) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(max_ms);
        while (!stopping_ && std::chrono::steady_clock::now() < deadline) {
            pollfd poller{fd, POLLIN, 0};
            if (::poll(&poller, 1, 20) > 0) {
                char scratch[4096];
                if (::recv(fd, scratch, sizeof scratch, 0) <= 0) return;
            }
        }
    }

    void serve(int fd) {
        std::string buffer;
        for (;;) {
            HttpRequest request;
            if (!read_request(fd, buffer, request)) break;
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(request);
            }
            ++count_;
            HttpReply answer = handler_(request);
            std::string head = "HTTP/1.1 " + std::to_string(answer.status) + " " + answer.reason + "\r\n";
            bool has_length = false;
            for (const auto& [name, value] : answer.headers) {
                head += name + ": " + value + "\r\n";
                has_length = has_length || to_lower(name) == "content-length";
            }
            if (!has_length) head += "Content-Length: " + std::to_string(answer.body.size()) + "\r\n";
            head += "\r\n";
            std::string_view body = request.method == "HEAD" ? std::string_view() : std::string_view(answer.body);
            if (answer.truncate_after) body = body.substr(0, *answer.truncate_after);
            if (!send_all(fd, head) || !send_all(fd, body)) break;
            if (answer.truncate_after) {
                if (!answer.hang) ::shutdown(fd, SHUT_WR);
                wait_for_close(fd, answer.hang ? 60'000 : 2'000);
                break;
            }
        }
        std::lock_guard lock(mutex_);
        open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
        ::close(fd);
    }

    Handler handler_;
    UniqueFd listener_;
    int port_ = 0;
    std::thread acceptor_;
    std::atomic<bool> stopping_{false};
    std::atomic<int> count_{0};
    mutable std::mutex mutex_;
    std::vector<std::thread> workers_;
    std::vector<int> open_fds_;
    std::vector<HttpRequest> requests_;
};

}  // namespace berth::registry::test_http
