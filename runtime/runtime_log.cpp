#include "runtime/runtime_log.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace berth::runtime {
namespace {

std::string now_seconds() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

// logrus quotes a value with Go's %q.
std::string quoted(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
    return out + "\"";
}

void append(int fd, const std::string& line) {
    std::size_t written = 0;
    while (written < line.size()) {
        ssize_t n = ::write(fd, line.data() + written, line.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        written += static_cast<std::size_t>(n);
    }
}

}  // namespace

LogFormat parse_log_format(std::string_view name) {
    if (name == "text") return LogFormat::text;
    if (name == "json") return LogFormat::json;
    throw Error("invalid log-format: " + std::string(name));
}

void RuntimeLog::write(std::string_view level, std::string_view message) const {
    std::string line;
    if (format == LogFormat::json)
        line = nlohmann::json{{"level", level}, {"msg", message}, {"time", now_seconds()}}.dump(
                   -1, ' ', false, nlohmann::json::error_handler_t::replace) +
               "\n";
    else
        line = "time=\"" + now_seconds() + "\" level=" + std::string(level) + " msg=" + quoted(message) + "\n";
    if (path.empty()) {
        append(STDERR_FILENO, line);
        return;
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        append(fd, line);
        ::close(fd);
    } else {
        append(STDERR_FILENO, line);
    }
}

void RuntimeLog::error(std::string_view message) const {
    write("error", message);
    if (!path.empty()) append(STDERR_FILENO, std::string(message) + "\n");
}

void RuntimeLog::debug_message(std::string_view message) const {
    if (debug) write("debug", message);
}

}  // namespace berth::runtime
