#include "common/log.hpp"

#include <array>
#include <chrono>
#include <cstdio>

namespace berth {
namespace {

LogLevel current_level = LogLevel::warn;
const auto process_start = std::chrono::steady_clock::now();

constexpr std::array<std::string_view, 7> level_names{"trace", "debug", "info", "warn", "error", "fatal", "panic"};

void emit(LogLevel level, std::string_view tag, std::string_view message) {
    if (level < current_level) return;
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - process_start).count();
    std::fprintf(stderr, "%.*s[%04lld] %.*s\n", static_cast<int>(tag.size()), tag.data(),
                 static_cast<long long>(seconds), static_cast<int>(message.size()), message.data());
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
    for (size_t i = 0; i < level_names.size(); ++i)
        if (level_names[i] == name) return static_cast<LogLevel>(i);
    return std::nullopt;
}

void set_log_level(LogLevel level) { current_level = level; }
LogLevel log_level() { return current_level; }

void log_debug(std::string_view message) { emit(LogLevel::debug, "DEBU", message); }
void log_info(std::string_view message) { emit(LogLevel::info, "INFO", message); }
void log_warning(std::string_view message) { emit(LogLevel::warn, "WARN", message); }

}  // namespace berth
