// Diagnostics on stderr in Podman's style: "WARN[0000] message".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth {

enum class LogLevel { trace, debug, info, warn, error, fatal, panic };

// Parses a --log-level value; nothing when it is not a known level.
std::optional<LogLevel> parse_log_level(std::string_view name);

void set_log_level(LogLevel level);
LogLevel log_level();

void log_debug(std::string_view message);
void log_info(std::string_view message);
void log_warning(std::string_view message);

}  // namespace berth
