#include "storage/layer_diff.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.hpp"

namespace berth::storage {
namespace {

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};
using DirHandle = std::unique_ptr<DIR, DirCloser>;

// Removes the entries below `path` (not `path` itself).
void erase_below(TreeView& view, const std::string& path) {
    std::string prefix = path + "/";
    auto first = view.lower_bound(prefix);
    auto last = first;
    while (last != view.end() && last->first.compare(0, prefix.size(), prefix) == 0) ++last;
    view.erase(first, last);
}

std::string child_path(const std::string& relative, const char* name) {
    return relative.empty() ? std::string(name) : relative + "/" + name;
}

void apply_directory(TreeView& view, const std::string& layer_dir, const std::string& relative) {
    std::string directory = relative.empty() ? layer_dir : layer_dir + "/" + relative;
    DirHandle dir(::opendir(directory.c_str()));
    if (!dir) throw_last_errno("read layer directory " + directory);
    std::vector<std::string> subdirectories;
    for (errno = 0; dirent* item = ::readdir(dir.get()); errno = 0) {
        if (std::strcmp(item->d_name, ".") == 0 || std::strcmp(item->d_name, "..") == 0) continue;
        std::string path = child_path(relative, item->d_name);
        std::string source = layer_dir + "/" + path;
        struct stat status {};
        if (::lstat(source.c_str(), &status) != 0) throw_last_errno("stat " + source);
        if (is_whiteout(status)) {
            erase_below(view, path);
            view.erase(path);
            continue;
        }
        auto found = view.find(path);
        bool below_is_directory = found != view.end() && S_ISDIR(found->second.status.st_mode);
        if (!S_ISDIR(status.st_mode) || !below_is_directory || is_opaque_directory(source)) erase_below(view, path);
        view[path] = TreeEntry{source, status};
        if (S_ISDIR(status.st_mode)) subdirectories.push_back(path);
    }
    if (errno != 0) throw_last_errno("read layer directory " + directory);
    dir.reset();
    for (const auto& subdirectory : subdirectories) apply_directory(view, layer_dir, subdirectory);
}

bool same_metadata(const TreeEntry& before, const TreeEntry& after) {
    const struct stat& a = before.status;
    const struct stat& b = after.status;
    if (a.st_mode != b.st_mode || a.st_uid != b.st_uid || a.st_gid != b.st_gid) return false;
    if (S_ISDIR(a.st_mode)) return true;  // a directory's time changes with what is in it; its files tell
    if (a.st_size != b.st_size || a.st_rdev != b.st_rdev) return false;
    if (a.st_mtim.tv_sec != b.st_mtim.tv_sec || a.st_mtim.tv_nsec != b.st_mtim.tv_nsec) return false;
    if (S_ISLNK(a.st_mode)) {
        char first[4096], second[4096];
        ssize_t n = ::readlink(before.source.c_str(), first, sizeof first);
        ssize_t m = ::readlink(after.source.c_str(), second, sizeof second);
        return n == m && n >= 0 && std::memcmp(first, second, static_cast<size_t>(n)) == 0;
    }
    return true;
}

}  // namespace

bool is_whiteout(const struct stat& status) { return S_ISCHR(status.st_mode) && status.st_rdev == makedev(0, 0); }

bool is_opaque_directory(const std::string& path) {
    for (const char* name : {"trusted.overlay.opaque", "user.overlay.opaque"}) {
        char value[4];
        ssize_t size = ::lgetxattr(path.c_str(), name, value, sizeof value);
        if (size == 1 && value[0] == 'y') return true;
    }
    return false;
}

void apply_layer(TreeView& view, const std::string& layer_dir) { apply_directory(view, layer_dir, ""); }

TreeView merged_view(const std::vector<std::string>& layer_dirs) {
    TreeView view;
    for (const auto& layer : layer_dirs) apply_layer(view, layer);
    return view;
}

char change_letter(ChangeKind kind) {
    switch (kind) {
        case ChangeKind::changed: return 'C';
        case ChangeKind::added: return 'A';
        case ChangeKind::deleted: return 'D';
    }
    return '?';
}

std::vector<Change> tree_changes(const TreeView& before, const TreeView& after, const ChangedTest& changed) {
    std::vector<Change> changes;
    for (const auto& [path, entry] : after) {
        auto old = before.find(path);
        if (old == before.end())
            changes.push_back({"/" + path, ChangeKind::added});
        else if ((old->second.status.st_mode & S_IFMT) != (entry.status.st_mode & S_IFMT) ||
                 changed(old->second, entry))
            changes.push_back({"/" + path, ChangeKind::changed});
    }
    for (const auto& [path, entry] : before) {
        if (after.contains(path)) continue;
        auto slash = path.rfind('/');
        if (slash != std::string::npos) {
            auto parent = after.find(path.substr(0, slash));
            if (parent == after.end() || !S_ISDIR(parent->second.status.st_mode)) continue;
            auto old_parent = before.find(path.substr(0, slash));
            // The parent replaced (opaque or of another type) without being there before: only its own change.
            if (old_parent == before.end()) continue;
        }
        changes.push_back({"/" + path, ChangeKind::deleted});
    }
    std::sort(changes.begin(), changes.end(), [](const Change& a, const Change& b) { return a.path < b.path; });
    return changes;
}

std::vector<Change> overlay_changes(const TreeView& lower, const TreeView& merged, const std::string& upper_dir) {
    std::string prefix = upper_dir + "/";
    return tree_changes(lower, merged, [&prefix](const TreeEntry&, const TreeEntry& after) {
        return after.source.compare(0, prefix.size(), prefix) == 0;
    });
}

std::vector<Change> copied_tree_changes(const TreeView& image, const TreeView& copy) {
    return tree_changes(image, copy,
                        [](const TreeEntry& before, const TreeEntry& after) { return !same_metadata(before, after); });
}

std::vector<Change> with_parent_directories(const std::vector<Change>& changes, const TreeView& before,
                                            const TreeView& after) {
    auto same_directory = [&](const std::string& path) {
        auto old = before.find(path.substr(1));
        auto now = after.find(path.substr(1));
        if (old == before.end() || now == after.end() || !S_ISDIR(now->second.status.st_mode)) return false;
        const struct stat& a = old->second.status;
        const struct stat& b = now->second.status;
        return a.st_mode == b.st_mode && a.st_uid == b.st_uid && a.st_gid == b.st_gid;
    };
    std::map<std::string, ChangeKind> settled;
    for (const auto& change : changes)
        if (change.kind != ChangeKind::changed || !same_directory(change.path))
            settled.emplace(change.path, change.kind);
    std::vector<std::string> parents;
    for (const auto& [path, kind] : settled)
        for (auto slash = path.rfind('/'); slash != 0 && slash != std::string::npos;
             slash = path.rfind('/', slash - 1)) {
            std::string parent = path.substr(0, slash);
            if (before.contains(parent.substr(1)) && after.contains(parent.substr(1))) parents.push_back(parent);
        }
    for (const auto& parent : parents) settled.emplace(parent, ChangeKind::changed);
    std::vector<Change> out;
    for (const auto& [path, kind] : settled) out.push_back({path, kind});
    return out;
}

}  // namespace berth::storage
