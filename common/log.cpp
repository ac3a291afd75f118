#include "common/log.hpp"

#include <unistd.h>
#include <array>
#include <chrono>

#include <cstdio>
#include <ctime>
#include <string>

namespace berth {
namespace {

LogLevel current_level = LogLevel::warn;
const auto process_start = std::chrono::steady_clock::now();

constexpr std::array<std::string_view, 7> level_names{"trace", "debug", "info", "warn", "error", "fatal", "panic"};

// The message as logrus quotes it: backslash escapes for quotes, backslashes and control bytes.
std::string quoted(std::string_view message) {
    std::string text = "\"";
    for (char c : message) {
        if (c == '"' || c == '\\') text += '\\';
        if (c == '\n') {
            text += "\\n";
            continue;
        }
        if (c == '\t') {
            text += "\\t";
            continue;
        }
        text += c;
    }
    return text + "\"";
}

std::string local_time_text() {
    std::time_t now = std::time(nullptr);
    std::tm parts{};
    ::localtime_r(&now, &parts);
    char text[40];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &parts);
    std::string_view result = text;
    if (result.size() <= 5) return std::string(result);
    if (result.ends_with("+0000")) return std::string(result.substr(0, result.size() - 5)) + "Z";
    // "+0100" -> "+01:00", as RFC 3339 writes the offset.
    return std::string(result.substr(0, result.size() - 2)) + ":" + std::string(result.substr(result.size() - 2));
}

void emit(LogLevel level, std::string_view tag, std::string_view message) {
    if (level < current_level) return;
    if (::isatty(STDERR_FILENO) == 0) {
        static constexpr std::array<std::string_view, 7> logrus_names{"trace", "debug", "info", "warning",
                                                                      "error", "fatal", "panic"};
        std::fprintf(stderr, "time=\"%s\" level=%.*s msg=%s\n", local_time_text().c_str(),
                     static_cast<int>(logrus_names[static_cast<size_t>(level)].size()),
                     logrus_names[static_cast<size_t>(level)].data(), quoted(message).c_str());
        return;
    }
    auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - process_start).count();
    std::fprintf(stderr, "%.*s[%04lld] %.*s\n", static_cast<int>(tag.size()), tag.data(),
                 static_cast<long long>(seconds), static_cast<int>(message.size()), message.data());
}

}  // namespace

std::optional<LogLevel> parse_log_level(std::string_view name) {
    if (name == "warning") return LogLevel::warn;
    for (size_t i = 0; i < level_names.size(); ++i)
        if (level_names[i] == name) return static_cast<LogLevel>(i);
    return std::nullopt;
}

void set_log_level(LogLevel level) { current_level = level; }
LogLevel log_level() { return current_level; }

std::string log_level_names() { return "trace, debug, info, warn, warning, error, fatal, panic"; }

void log_trace(std::string_view message) { emit(LogLevel::trace, "TRAC", message); }
void log_debug(std::string_view message) { emit(LogLevel::debug, "DEBU", message); }
void log_info(std::string_view message) { emit(LogLevel::info, "INFO", message); }
void log_warning(std::string_view message) { emit(LogLevel::warn, "WARN", message); }

}  // namespace berth
