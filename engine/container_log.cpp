#include "engine/container_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <time.h>

#include <cerrno>
#include <cstdio>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_start.hpp"

namespace berth::engine {
namespace {

const char* stream_name(LogStream stream) { return stream == LogStream::stdout_stream ? "stdout" : "stderr"; }

std::string log_line(const std::string& time, LogStream stream, bool partial, std::string_view text) {
    std::string line = time;
    line += ' ';
    line += stream_name(stream);
    line += partial ? " P " : " F ";
    line += text;
    line += '\n';
    return line;
}

// Parses "2026-11-23T08:41:15.123456789Z" (the fraction may be shorter, or absent).
std::optional<int64_t> parse_log_time(std::string_view text) {
    int year, month, day, hour, minute, second;
    if (text.size() < 20 || std::sscanf(std::string(text.substr(0, 19)).c_str(), "%4d-%2d-%2dT%2d:%2d:%2d", &year,
                                        &month, &day, &hour, &minute, &second) != 6)
        return std::nullopt;
    tm parts{};
    parts.tm_year = year - 1900;
    parts.tm_mon = month - 1;
    parts.tm_mday = day;
    parts.tm_hour = hour;
    parts.tm_min = minute;
    parts.tm_sec = second;
    int64_t nanoseconds = 0;
    size_t position = 19;
    if (position < text.size() && text[position] == '.') {
        int64_t scale = 100000000;
        for (++position; position < text.size() && text[position] >= '0' && text[position] <= '9'; ++position) {
            nanoseconds += (text[position] - '0') * scale;
            scale /= 10;
        }
    }
    if (position >= text.size() || text[position] != 'Z') return std::nullopt;
    return static_cast<int64_t>(::timegm(&parts)) * 1000000000 + nanoseconds;
}

}  // namespace

std::string format_log_lines(LogStream stream, std::string_view chunk, int64_t time_ns) {
    std::string time = format_time_ns(time_ns);
    std::string lines;
    while (!chunk.empty()) {
        auto end = chunk.find('\n');
        if (end == std::string_view::npos) {
            lines += log_line(time, stream, true, chunk);
            break;
        }
        lines += log_line(time, stream, false, chunk.substr(0, end));
        chunk.remove_prefix(end + 1);
    }
    return lines;
}

std::optional<LogEntry> parse_log_line(std::string_view line) {
    auto first = line.find(' ');
    if (first == std::string_view::npos) return std::nullopt;
    auto second = line.find(' ', first + 1);
    if (second == std::string_view::npos || second + 2 > line.size()) return std::nullopt;
    LogEntry entry;
    auto time = parse_log_time(line.substr(0, first));
    if (!time) return std::nullopt;
    entry.time_ns = *time;
    auto stream = line.substr(first + 1, second - first - 1);
    if (stream == "stdout")
        entry.stream = LogStream::stdout_stream;
    else if (stream == "stderr")
        entry.stream = LogStream::stderr_stream;
    else
        return std::nullopt;
    char flag = line[second + 1];
    if (flag != 'P' && flag != 'F') return std::nullopt;
    entry.partial = flag == 'P';
    if (second + 2 < line.size()) {
        if (line[second + 2] != ' ') return std::nullopt;
        entry.text = std::string(line.substr(second + 3));
    }
    return entry;
}

LogWriter::LogWriter(const std::string& path, uint64_t max_size) : path_(path), max_size_(max_size) {
    fd_ = UniqueFd(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!fd_.valid()) throw_last_errno("open the container log " + path);
    struct stat info {};
    if (::fstat(fd_.get(), &info) == 0) size_ = static_cast<uint64_t>(info.st_size);
}

void LogWriter::write(LogStream stream, std::string_view chunk) {
    std::string lines = format_log_lines(stream, chunk, unix_now_ns());
    if (max_size_ > 0 && size_ + lines.size() > max_size_) {
        if (::ftruncate(fd_.get(), 0) == 0) size_ = 0;
        if (lines.size() > max_size_) lines.resize(0);
    }
    size_t done = 0;
    while (done < lines.size()) {
        ssize_t n = ::write(fd_.get(), lines.data() + done, lines.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // a full disk loses output, never the container
        done += static_cast<size_t>(n);
    }
    size_ += done;
}

}  // namespace berth::engine
