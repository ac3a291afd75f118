#include "cli/output/table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace berth::cli {

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()));
        for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        while (!line.empty() && line.back() == ' ') line.pop_back();
        out += line + "\n";
    }
    return out;
}

std::string go_time_text(int64_t unix_ns) {
    time_t seconds = static_cast<time_t>(unix_ns / 1000000000);
    long fraction = static_cast<long>(unix_ns % 1000000000);
    struct tm local {};
    ::localtime_r(&seconds, &local);
    char date[32], zone[32];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &local);
    std::strftime(zone, sizeof zone, "%z %Z", &local);
    std::string text = date;
    if (fraction != 0) {
        char digits[16];
        std::snprintf(digits, sizeof digits, ".%09ld", fraction);
        std::string decimals = digits;
        while (decimals.back() == '0') decimals.pop_back();
        text += decimals;
    }
    return text + " " + zone;
}

std::string human_size(uint64_t bytes) {
    static constexpr std::array<const char*, 7> units{"B", "kB", "MB", "GB", "TB", "PB", "EB"};
    double value = static_cast<double>(bytes);
    size_t unit = 0;
    while (value >= 1000 && unit + 1 < units.size()) {
        value /= 1000;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.3g %s", value, units[unit]);
    return text;
}

std::string human_age(int64_t seconds) {
    auto plural = [](int64_t count, const char* unit) {
        return std::to_string(count) + " " + unit + (count == 1 ? "" : "s") + " ago";
    };
    if (seconds < 1) return "Less than a second ago";
    if (seconds < 60) return plural(seconds, "second");
    int64_t minutes = seconds / 60;
    if (minutes == 1) return "About a minute ago";
    if (minutes < 60) return plural(minutes, "minute");
    int64_t hours = minutes / 60;
    if (hours == 1) return "About an hour ago";
    if (hours < 48) return plural(hours, "hour");
    if (hours < 24 * 7 * 2) return plural(hours / 24, "day");
    if (hours < 24 * 30 * 2) return plural(hours / 24 / 7, "week");
    if (hours < 24 * 365 * 2) return plural(hours / 24 / 30, "month");
    return plural(hours / 24 / 365, "year");
}

std::string without_heading(const std::string& text) {
    auto line_end = text.find('\n');
    return line_end == std::string::npos ? std::string() : text.substr(line_end + 1);
}

}  // namespace berth::cli
