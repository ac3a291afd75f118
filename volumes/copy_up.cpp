#include "volumes/copy_up.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "storage/vfs_rootfs.hpp"

namespace berth::volumes {
namespace {

enum class Entry { missing, whiteout, directory, opaque_directory, other };

Entry entry_at(const std::string& path) {
    struct stat status {};
    if (::lstat(path.c_str(), &status) != 0) return Entry::missing;
    if (S_ISCHR(status.st_mode) && status.st_rdev == makedev(0, 0)) return Entry::whiteout;
    if (!S_ISDIR(status.st_mode)) return Entry::other;
    for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
        char value[2] = {};
        if (::lgetxattr(path.c_str(), name, value, sizeof value) == 1 && value[0] == 'y')
            return Entry::opaque_directory;
    }
    return Entry::directory;
}

}  // namespace

std::vector<std::string> image_path_layers(const std::vector<std::string>& layer_dirs, const std::string& path) {
    std::vector<std::string> components;
    for (auto& component : split(path, '/'))
        if (!component.empty() && component != ".") components.push_back(component);
    std::vector<std::string> found;
    for (const auto& layer : layer_dirs) {
        std::string current = layer;
        bool hidden = false;  // this layer hides what the ones below have at `path`
        bool present = true;  // this layer has a directory at `path`
        for (std::size_t index = 0; index < components.size(); ++index) {
            current += "/" + components[index];
            Entry entry = entry_at(current);
            if (entry == Entry::missing) {
                present = false;
                break;
            }
            if (entry == Entry::whiteout || entry == Entry::other) {
                hidden = true;
                present = false;
                break;
            }
            if (entry == Entry::opaque_directory) hidden = true;  // nothing below it shows through
        }
        if (hidden) found.clear();
        if (present) found.push_back(current);
    }
    return found;
}

bool copy_up_image_path(const std::vector<std::string>& layer_dirs, const std::string& path,
                        const std::string& target) {
    auto sources = image_path_layers(layer_dirs, path);
    if (sources.empty()) return false;
    storage::assemble_vfs_rootfs(sources, target);
    struct stat top {};
    if (::lstat(sources.back().c_str(), &top) != 0) throw_last_errno("copy up " + path + ": stat " + sources.back());
    if (::lchown(target.c_str(), top.st_uid, top.st_gid) != 0)
        throw_last_errno("copy up " + path + ": chown " + target);
    if (::chmod(target.c_str(), top.st_mode & 07777) != 0) throw_last_errno("copy up " + path + ": chmod " + target);
    return true;
}

}  // namespace berth::volumes
