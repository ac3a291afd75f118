#include "rootless/subordinate_ids.hpp"

#include <pwd.h>
#include <unistd.h>

#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::rootless {

std::vector<IdRange> parse_subordinate_ranges(std::string_view file_text, std::string_view user_name, uint64_t id) {
    std::vector<IdRange> ranges;
    const std::string id_text = std::to_string(id);
    for (const auto& raw_line : split(file_text, '\n')) {
        auto line = trim(raw_line);
        if (line.empty() || line.front() == '#') continue;
        auto fields = split(line, ':');
        if (fields.size() != 3) continue;
        if (fields[0] != user_name && fields[0] != id_text) continue;
        auto start = parse_unsigned(fields[1]);
        auto count = parse_unsigned(fields[2]);
        if (!start || !count || *count == 0) continue;
        ranges.push_back({*start, *count});
    }
    return ranges;
}

std::vector<IdRange> read_subordinate_ranges(const std::string& path, std::string_view user_name, uint64_t id) {
    auto text = read_file_if_exists(path);
    if (!text) return {};
    return parse_subordinate_ranges(*text, user_name, id);
}

std::vector<IdMapping> rootless_id_mappings(uint64_t own_id, const std::vector<IdRange>& ranges) {
    std::vector<IdMapping> mappings{{0, own_id, 1}};
    uint64_t next_container_id = 1;
    for (const auto& range : ranges) {
        mappings.push_back({next_container_id, range.start, range.count});
        next_container_id += range.count;
    }
    return mappings;
}

uint64_t total_ids(const std::vector<IdRange>& ranges) {
    uint64_t total = 0;
    for (const auto& range : ranges) total += range.count;
    return total;
}

UserIds current_user_ids(const std::string& subuid_file, const std::string& subgid_file) {
    UserIds user;
    user.uid = ::getuid();
    user.gid = ::getgid();
    user.subuid_file = subuid_file;
    user.subgid_file = subgid_file;
    if (const passwd* entry = ::getpwuid(user.uid)) user.name = entry->pw_name;
    user.subuids = read_subordinate_ranges(subuid_file, user.name, user.uid);
    user.subgids = read_subordinate_ranges(subgid_file, user.name, user.uid);
    return user;
}

}  // namespace berth::rootless
