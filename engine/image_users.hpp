// Users and groups of an image: "-u name[:group]" / "uid[:gid]" and the image's User resolved against the
// rootfs's /etc/passwd and /etc/group, as Podman (runc's user package) does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::engine {

// Ids a user spec may name: 0 to 2^31-1, as in runc.
inline constexpr uint32_t max_user_id = 2147483647;

struct ImageUser {
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::string name;          // the passwd entry's name; empty when the user was a number without an entry
    std::string home = "/";    // the passwd entry's home; "/" without one
    bool group_given = false;  // the spec named a group ("user:group"): no supplementary groups from /etc/group
    // Groups of /etc/group that list the user (only when no group was given), then the --group-add ones;
    // without duplicates, in that order.
    std::vector<uint32_t> additional_gids;
    friend bool operator==(const ImageUser&, const ImageUser&) = default;
};

// Resolves a user spec against the text of /etc/passwd and /etc/group (nothing for a file that is missing):
//  - "" is uid 0; "name" and "uid" take uid, gid and home from the first matching passwd entry, and the
//    supplementary groups from the group entries that list the user by name;
//  - a number without an entry is that uid with gid 0; a name without one is an error;
//  - ":group" or ":gid" replaces the primary gid (a number needs no entry, a name does);
//  - group_add entries are group names or gids (a name must be in /etc/group).
// Errors follow Podman's text, e.g. "unable to find user NAME: no matching entries in passwd file".
ImageUser resolve_user(std::string_view spec, const std::optional<std::string>& passwd_text,
                       const std::optional<std::string>& group_text, const std::vector<std::string>& group_add = {});

// The same against the files of a root file system: rootfs/etc/passwd and rootfs/etc/group are opened with
// openat2(RESOLVE_IN_ROOT) from a descriptor of the rootfs, so symlinks in the image resolve inside it and never
// reach the host; files that are not regular (a FIFO, a device) are refused.
ImageUser lookup_image_user(const std::string& rootfs, std::string_view spec,
                            const std::vector<std::string>& group_add = {});

// The same against the layers of an image that is not mounted: `roots` are layer directories, top first; each file
// is read from the first layer that has it (a whiteout there, a 0:0 character device, means it was deleted).
ImageUser lookup_image_user_in_layers(const std::vector<std::string>& roots, std::string_view spec,
                                      const std::vector<std::string>& group_add = {});

// A file of a root file system, read as above; nothing when it does not exist. Files larger than max_bytes are
// refused. Throws Error naming the path for anything else.
std::optional<std::string> read_file_in_root(const std::string& rootfs, const std::string& path,
                                             size_t max_bytes = 16 * 1024 * 1024);

}  // namespace berth::engine
