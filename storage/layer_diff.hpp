// What a container changed in its image's file tree: the merged view of layer directories (overlayfs' rules), and
// the added, changed and deleted paths between two views, as `berth diff` lists them and `berth commit` stores them.
#pragma once

#include <sys/stat.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace berth::storage {

// One file of a view: the file that holds it (in the top-most layer that has it) and its metadata.
struct TreeEntry {
    std::string source;  // absolute path
    struct stat status {};
};

// Relative paths ("etc/passwd") to their entries, in path order.
using TreeView = std::map<std::string, TreeEntry>;

// Whether the file is an overlayfs whiteout: a character device with device number 0:0.
bool is_whiteout(const struct stat& status);

// Whether a directory is marked opaque ("trusted.overlay.opaque" or "user.overlay.opaque" is "y").
bool is_opaque_directory(const std::string& path);

// Lays a layer directory with overlayfs whiteouts over the view: a whiteout removes the name (and what was below
// it), an opaque directory hides what lower layers put in it, a directory merges with a directory below it (its
// own metadata wins), anything else replaces what was there. Throws Error naming the path it cannot read.
void apply_layer(TreeView& view, const std::string& layer_dir);

// The layers' merged tree, bottom layer first.
TreeView merged_view(const std::vector<std::string>& layer_dirs);

enum class ChangeKind { changed, added, deleted };

struct Change {
    std::string path;  // "/etc/passwd"
    ChangeKind kind = ChangeKind::changed;
    bool operator==(const Change&) const = default;
};

// 'C', 'A' or 'D'.
char change_letter(ChangeKind kind);

// The changes from `before` to `after`, in path order: paths only `after` has are added; of the paths only
// `before` has, those whose parent is still a directory in `after` are deleted (a deleted directory is one
// change, not one per file in it); paths both have are changed when their type differs or `changed` says so.
using ChangedTest = std::function<bool(const TreeEntry& before, const TreeEntry& after)>;
std::vector<Change> tree_changes(const TreeView& before, const TreeView& after, const ChangedTest& changed);

// The changes an overlay upper directory makes to the lower layers' view: everything in the upper directory
// that the view had is changed (overlayfs copies up a directory when something in it changes, so its parents
// show as changed, as in Podman).
std::vector<Change> overlay_changes(const TreeView& lower, const TreeView& merged, const std::string& upper_dir);

// The changes of a copied tree (vfs) against the image's view: metadata (type, mode, owner, size, modification
// time, device, link target) that differs.
std::vector<Change> copied_tree_changes(const TreeView& image, const TreeView& copy);

// The directories of the changes, as Podman lists them: a changed directory whose mode and owner are the same in both
// views is left out unless something below it changed, and every directory above a change (but the root) that both
// views have is listed as changed. In path order.
std::vector<Change> with_parent_directories(const std::vector<Change>& changes, const TreeView& before,
                                            const TreeView& after);

}  // namespace berth::storage
