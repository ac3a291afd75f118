// Subordinate id ranges (/etc/subuid, /etc/subgid) and the id mappings built from them.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace berth::rootless {

inline constexpr const char* default_subuid_file = "/etc/subuid";
inline constexpr const char* default_subgid_file = "/etc/subgid";

struct IdRange {
    uint64_t start = 0;
    uint64_t count = 0;
    friend bool operator==(const IdRange&, const IdRange&) = default;
};

// One line of a uid_map/gid_map: container ids [container_id, +size) are host ids [host_id, +size).
struct IdMapping {
    uint64_t container_id = 0;
    uint64_t host_id = 0;
    uint64_t size = 0;
    friend bool operator==(const IdMapping&, const IdMapping&) = default;
};

// The ranges that the text of a subuid/subgid file grants to a user, named by login name or
// by numeric id, in file order. Malformed lines and empty ranges are skipped, as shadow does.
std::vector<IdRange> parse_subordinate_ranges(std::string_view file_text, std::string_view user_name, uint64_t id);

// The same, read from a file; a missing file grants nothing.
std::vector<IdRange> read_subordinate_ranges(const std::string& path, std::string_view user_name, uint64_t id);

// The rootless mapping: container id 0 is the user's own id, ids from 1 up are the
// subordinate ranges one after another.
std::vector<IdMapping> rootless_id_mappings(uint64_t own_id, const std::vector<IdRange>& ranges);

// Total number of ids in the ranges.
uint64_t total_ids(const std::vector<IdRange>& ranges);

// Who runs berth, and what the subordinate id files grant them.
struct UserIds {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string subuid_file = default_subuid_file;
    std::string subgid_file = default_subgid_file;
    std::vector<IdRange> subuids;
    std::vector<IdRange> subgids;
};

// The calling user (by real uid) and their subordinate ranges.
UserIds current_user_ids(const std::string& subuid_file = default_subuid_file,
                         const std::string& subgid_file = default_subgid_file);

}  // namespace berth::rootless
