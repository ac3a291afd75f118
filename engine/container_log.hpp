// A container's log in Podman's k8s-file format: one line per chunk of output,
//   "2026-11-23T08:41:15.123456789Z stdout F hello"
// with the stream, and P for a partial line (no line end yet) or F for a full one. The monitor writes it;
// `berth logs` reads and follows it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/unique_fd.hpp"

namespace berth::engine {

enum class LogStream { stdout_stream, stderr_stream };

struct LogEntry {
    int64_t time_ns = 0;
    LogStream stream = LogStream::stdout_stream;
    bool partial = false;  // P: the line goes on in the next entry
    std::string text;      // without the line end
};

// The log lines for one chunk of output read at `time_ns`: each complete line an F entry, a trailing piece
// without a line end a P entry.
std::string format_log_lines(LogStream stream, std::string_view chunk, int64_t time_ns);

// One line of a log file (without its line end); nothing for a malformed one.
std::optional<LogEntry> parse_log_line(std::string_view line);

// Appends output to a container's log file, keeping it under max_size bytes (0: no limit) by starting it anew
// when a write would pass the limit, as Podman's k8s-file driver does.
class LogWriter {
public:
    LogWriter(const std::string& path, uint64_t max_size);
    void write(LogStream stream, std::string_view chunk);

private:
    std::string path_;
    uint64_t max_size_ = 0;
    uint64_t size_ = 0;
    UniqueFd fd_;
};

}  // namespace berth::engine
