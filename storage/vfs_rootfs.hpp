// The vfs rootfs driver's copy: a container's rootfs made by copying an image's layers onto one tree, merged as
// overlayfs would merge them, for hosts where neither overlayfs nor fuse-overlayfs can be mounted.
#pragma once

#include <string>
#include <vector>

namespace berth::storage {

// Builds a container's rootfs at `target` (an empty or not-yet-existing directory; missing parents are made) by
// applying `layer_dirs` (unpacked layers with overlayfs whiteouts, see layer_unpack.hpp; bottom first) in order:
// - a 0:0 character device is a whiteout: the name (a file or a whole tree) is removed and nothing is copied;
// - a directory with the xattr "trusted.overlay.opaque" or "user.overlay.opaque" set to "y" is opaque: what the
//   layers below put in it is removed before its own contents are copied in;
// - directories merge with directories and replace anything else; anything else replaces what was there;
// - regular files are copied (reflinked or copy_file_range'd where possible, holes kept), symlinks recreated
//   verbatim, hard links within a layer kept as hard links, devices, fifos and sockets made with mknod;
// - owner (numeric), mode (setuid, setgid and sticky bits included), access and modification times and xattrs
//   (but overlayfs' own, "trusted.overlay.*" and "user.overlay.*") are kept; an xattr the target's file system
//   does not support is left out.
// Every path is resolved below `target` one directory at a time without following symlinks, so a symlink that a
// lower layer left (`etc -> /`) is replaced by an upper layer's directory of the same name, never written through.
// Throws Error("vfs rootfs: copy <path> from layer <dir>: <why>").
void assemble_vfs_rootfs(const std::vector<std::string>& layer_dirs, const std::string& target);

}  // namespace berth::storage
