#include "engine/image_users.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"

namespace berth::engine {
namespace {

struct PasswdEntry {
    std::string name;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string home;
};

struct GroupEntry {
    std::string name;
    uint32_t gid = 0;
    std::vector<std::string> members;
};

std::optional<uint32_t> parse_id_field(std::string_view text) {
    auto value = parse_unsigned(text);
    if (!value || *value > max_user_id) return std::nullopt;
    return static_cast<uint32_t>(*value);
}

// The lines of a passwd/group file worth reading: trimmed, without blank lines, comments and NIS "+"/"-" entries.
template <typename Visit>
void for_each_entry(const std::string& text, Visit visit) {
    for (const auto& raw : split(text, '\n')) {
        std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') continue;
        visit(split(line, ':'));
    }
}

// Entries with a name and numeric ids; malformed lines are skipped, as shadow's tools do.
std::vector<PasswdEntry> parse_passwd(const std::optional<std::string>& text) {
    std::vector<PasswdEntry> entries;
    if (!text) return entries;
    for_each_entry(*text, [&](const std::vector<std::string>& fields) {
        if (fields.size() < 4 || fields[0].empty()) return;
        auto uid = parse_id_field(fields[2]);
        auto gid = parse_id_field(fields[3]);
        if (!uid || !gid) return;
        entries.push_back({fields[0], *uid, *gid, fields.size() > 5 ? fields[5] : std::string()});
    });
    return entries;
}

std::vector<GroupEntry> parse_group(const std::optional<std::string>& text) {
    std::vector<GroupEntry> entries;
    if (!text) return entries;
    for_each_entry(*text, [&](const std::vector<std::string>& fields) {
        if (fields.size() < 3 || fields[0].empty()) return;
        auto gid = parse_id_field(fields[2]);
        if (!gid) return;
        GroupEntry entry{fields[0], *gid, {}};
        if (fields.size() > 3) {
            for (const auto& member : split(fields[3], ',')) {
                auto name = trim(member);
                if (!name.empty()) entry.members.emplace_back(name);
            }
        }
        entries.push_back(std::move(entry));
    });
    return entries;
}

// A numeric user or group argument: its id, or nothing for a name. Numbers out of range are an error.
std::optional<uint32_t> numeric_id(std::string_view text) {
    std::string_view digits = text;
    if (!digits.empty() && (digits.front() == '-' || digits.front() == '+')) digits.remove_prefix(1);
    if (digits.empty() || !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    auto value = parse_unsigned(digits);
    if (text.front() == '-' || !value || *value > max_user_id)
        throw Error("invalid id \"" + std::string(text) + "\": uids and gids must be in range 0-" +
                    std::to_string(max_user_id));
    return static_cast<uint32_t>(*value);
}

void add_unique(std::vector<uint32_t>& ids, uint32_t id) {
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
}

std::string relative_to_root(const std::string& path) {
    size_t start = path.find_first_not_of('/');
    return start == std::string::npos ? std::string(".") : path.substr(start);
}

}  // namespace

ImageUser resolve_user(std::string_view spec, const std::optional<std::string>& passwd_text,
                       const std::optional<std::string>& group_text, const std::vector<std::string>& group_add) {
    std::string_view user_arg = spec;
    std::string_view group_arg;
    if (auto colon = spec.find(':'); colon != std::string_view::npos) {
        user_arg = spec.substr(0, colon);
        group_arg = spec.substr(colon + 1);
    }
    ImageUser user;
    user.group_given = !group_arg.empty();

    std::optional<uint32_t> uid_arg = user_arg.empty() ? std::optional<uint32_t>(0) : numeric_id(user_arg);
    auto users = parse_passwd(passwd_text);
    auto match = std::find_if(users.begin(), users.end(), [&](const PasswdEntry& entry) {
        return uid_arg ? entry.uid == *uid_arg : entry.name == user_arg;
    });
    if (match != users.end()) {
        user.uid = match->uid;
        user.gid = match->gid;
        user.name = match->name;
        if (!match->home.empty()) user.home = match->home;
    } else if (uid_arg) {
        user.uid = *uid_arg;
    } else {
        throw Error("unable to find user " + std::string(user_arg) + ": no matching entries in passwd file");
    }

    auto groups = parse_group(group_text);
    if (!group_arg.empty()) {
        auto gid_arg = numeric_id(group_arg);
        auto group = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& entry) {
            return gid_arg ? entry.gid == *gid_arg : entry.name == group_arg;
        });
        if (group != groups.end()) {
            user.gid = group->gid;
        } else if (gid_arg) {
            user.gid = *gid_arg;
        } else {
            throw Error("unable to find group " + std::string(group_arg) + ": no matching entries in group file");
        }
    } else if (!user.name.empty()) {
        for (const auto& group : groups) {
            if (std::find(group.members.begin(), group.members.end(), user.name) != group.members.end())
                add_unique(user.additional_gids, group.gid);
        }
    }

    for (const auto& wanted : group_add) {
        if (wanted == "keep-groups")
            throw Error("--group-add keep-groups: not supported by berth; name the groups or their ids");
        auto group = std::find_if(groups.begin(), groups.end(), [&](const GroupEntry& entry) {
            return entry.name == wanted || std::to_string(entry.gid) == wanted;
        });
        if (group != groups.end()) {
            add_unique(user.additional_gids, group->gid);
        } else if (auto gid = numeric_id(wanted)) {
            add_unique(user.additional_gids, *gid);
        } else {
            throw Error("unable to find group " + wanted + ": no matching entries in group file");
        }
    }
    return user;
}

std::optional<std::string> read_file_in_root(const std::string& rootfs, const std::string& path, size_t max_bytes) {
    std::string where = path + " in root file system " + rootfs;
    UniqueFd root(::open(rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) throw_last_errno("opening root file system " + rootfs);

    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    std::string relative = relative_to_root(path);
    UniqueFd file;
    for (int attempt = 0;; ++attempt) {
        long fd = ::syscall(SYS_openat2, root.get(), relative.c_str(), &how, sizeof how);
        if (fd >= 0) {
            file.reset(static_cast<int>(fd));
            break;
        }
        int err = errno;
        if (err == ENOENT || err == ENOTDIR) return std::nullopt;
        if ((err == EAGAIN || err == EINTR) && attempt < 16) continue;
        if (err == ENOSYS) throw Error("opening " + where + ": openat2 is not available (Linux 5.6 or later needed)");
        throw_errno("opening " + where, err);
    }

    struct stat status {};
    if (::fstat(file.get(), &status) != 0) throw_last_errno("reading " + where);
    if (!S_ISREG(status.st_mode)) throw Error("reading " + where + ": not a regular file");
    if (static_cast<uint64_t>(status.st_size) > max_bytes)
        throw Error("reading " + where + ": larger than " + std::to_string(max_bytes) + " bytes");

    std::string content;
    char buffer[16384];
    for (;;) {
        ssize_t got = ::read(file.get(), buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) continue;
            throw_last_errno("reading " + where);
        }
        if (got == 0) break;
        content.append(buffer, static_cast<size_t>(got));
        if (content.size() > max_bytes)
            throw Error("reading " + where + ": larger than " + std::to_string(max_bytes) + " bytes");
    }
    return content;
}

ImageUser lookup_image_user(const std::string& rootfs, std::string_view spec,
                            const std::vector<std::string>& group_add) {
    return resolve_user(spec, read_file_in_root(rootfs, "/etc/passwd"), read_file_in_root(rootfs, "/etc/group"),
                        group_add);
}

namespace {

std::optional<std::string> read_file_in_layers(const std::vector<std::string>& roots, const std::string& path) {
    for (const auto& root : roots) {
        struct stat info {};
        if (::fstatat(AT_FDCWD, (root + path).c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISCHR(info.st_mode) && info.st_rdev == 0) return std::nullopt;  // a whiteout
        return read_file_in_root(root, path);
    }
    return std::nullopt;
}

}  // namespace

ImageUser lookup_image_user_in_layers(const std::vector<std::string>& roots, std::string_view spec,
                                      const std::vector<std::string>& group_add) {
    return resolve_user(spec, read_file_in_layers(roots, "/etc/passwd"), read_file_in_layers(roots, "/etc/group"),
                        group_add);
}

}  // namespace berth::engine
