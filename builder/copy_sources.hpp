// What COPY and ADD put into a layer: their sources (paths and globs in the build context or in another stage's
// image) resolved, Docker's directory semantics applied to the destination, owners and modes set.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "builder/ignore_rules.hpp"
#include "storage/layer_diff.hpp"
#include "storage/layer_tar.hpp"

namespace berth::builder {

// The files sources are taken from: the build context (a directory, with its ignore rules) or an image's
// merged layers. Paths are relative ("a/b").
struct SourceTree {
    storage::TreeView files;
    std::string description;  // "the build context", "stage build"
};

// The context directory's files (lstat, symlinks not followed) that the rules keep. Throws Error naming a path it
// cannot read.
SourceTree context_tree(const std::string& context_dir, const IgnoreRules& rules);

struct CopyRequest {
    std::vector<std::string> sources;  // as written (expanded): "src/", "*.txt", "/etc/passwd" (for --from)
    std::string destination;           // absolute in the image ("/app/"), a trailing '/' kept
    std::optional<uid_t> uid;          // --chown (resolved ids); else root
    std::optional<gid_t> gid;
    std::optional<mode_t> mode;  // --chmod
    // ADD: a local tar (plain, gzip or zstd) is extracted into the destination directory, unpacked below this
    // directory first (by the layer unpacker, which refuses members that climb out); empty: archives are files.
    std::string extract_into;
    bool rootless = false;  // unpacking in the storage's user namespace
};

struct CopyPlan {
    storage::TreeView entries;  // layer paths ("app/x") to what they hold, parent directories included
    std::string digest;         // "sha256:..." over paths, types, modes, owners and contents: the cache key's part
};

// Resolves the sources in `tree`: a source naming a directory copies its contents, one naming a file copies it
// (into the destination when that ends with '/', is a directory in `image`, or several sources are given). A
// source outside the tree (".." climbing above it, a symlink leaving it) or missing is an Error naming it.
// `image` is the stage's current files, for the destination's existing directories.
CopyPlan plan_copy(const CopyRequest& request, const SourceTree& tree, const storage::TreeView& image);

// Both plans' entries (the second wins), with a digest over both.
CopyPlan merged_plans(const CopyPlan& first, const CopyPlan& second);

// The plan as a layer's tar stream.
void write_copy_layer(const CopyPlan& plan, const storage::ByteSink& sink);

// "--chown=user:group" / "--chmod=0755" values: numeric ids, or names looked up in the image's /etc/passwd and
// /etc/group (given as their text). Throws Error for names not found.
std::pair<uid_t, gid_t> parse_chown(const std::string& text, const std::string& passwd, const std::string& group);
mode_t parse_chmod(const std::string& text);

}  // namespace berth::builder
