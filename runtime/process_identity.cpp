#include "runtime/process_identity.hpp"

#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::runtime {

std::optional<uint64_t> parse_stat_start_time(std::string_view stat_text) {
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count fields after the last ')'.
    auto close = stat_text.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    auto rest = stat_text.substr(close + 1);
    int field = 2;  // the field just read
    size_t position = 0;
    while (position < rest.size()) {
        while (position < rest.size() && rest[position] == ' ') ++position;
        size_t end = rest.find(' ', position);
        if (end == std::string_view::npos) end = rest.size();
        if (position < end && ++field == 22) {
            auto value = parse_unsigned(trim(rest.substr(position, end - position)));
            if (!value) return std::nullopt;
            return static_cast<uint64_t>(*value);
        }
        position = end;
    }
    return std::nullopt;
}

std::optional<uint64_t> process_start_time(pid_t pid) {
    if (pid <= 0) return std::nullopt;
    std::optional<std::string> text;
    try {
        text = read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
    } catch (const std::exception&) {
        return std::nullopt;  // gone between open and read
    }
    if (!text) return std::nullopt;
    // A zombie has ended; only its parent's wait is missing (an orphan's may be late where PID 1 reaps slowly).
    auto close = text->rfind(')');
    if (close != std::string::npos && close + 2 < text->size() &&
        ((*text)[close + 2] == 'Z' || (*text)[close + 2] == 'X'))
        return std::nullopt;
    return parse_stat_start_time(*text);
}

std::string current_boot_id() {
    try {
        return std::string(trim(read_file_if_exists("/proc/sys/kernel/random/boot_id").value_or("")));
    } catch (const std::exception&) {
        return {};
    }
}

bool same_process_alive(pid_t pid, uint64_t start_time, const std::string& boot_id) {
    if (pid <= 0 || boot_id != current_boot_id()) return false;
    auto now = process_start_time(pid);
    return now && *now == start_time;
}

}  // namespace berth::runtime
