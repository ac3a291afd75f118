// Diagnostics on stderr in Podman's (logrus') style: "WARN[0000] message" on a terminal,
// `time="2026-12-06T21:35:23Z" level=warning msg="message"` otherwise.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth {

enum class LogLevel { trace, debug, info, warn, error, fatal, panic };

// Parses a --log-level value ("warning" is "warn"); nothing when it is not a known level.
std::optional<LogLevel> parse_log_level(std::string_view name);

void set_log_level(LogLevel level);
LogLevel log_level();

// The names --log-level accepts, for messages: "trace, debug, info, warn, warning, error, fatal, panic".
std::string log_level_names();

void log_trace(std::string_view message);
void log_debug(std::string_view message);
void log_info(std::string_view message);
void log_warning(std::string_view message);

}  // namespace berth
