// The image spec's layer unpacker: a (gzip, zstd or plain) tar stream written under a layer directory,
// every path resolved inside that directory so that a hostile layer cannot write anywhere else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace berth::storage {

struct UnpackOptions {
    // Running as an unprivileged user inside a user namespace: device nodes that cannot be created are skipped
    // with a warning; a chown to an id outside the namespace's map is an error that names the id and the fix.
    bool rootless = false;
    // Store whiteouts the overlayfs way in this layer's own directory (a 0:0 character device for ".wh.name",
    // the "trusted.overlay.opaque" xattr, or "user.overlay.opaque" when rootless, for ".wh..wh..opq").
    // false: apply them to the tree instead (delete the named path, empty the directory), as the copying
    // driver does when it unpacks every layer onto one tree.
    bool overlay_whiteouts = true;
};

struct UnpackResult {
    uint64_t entries = 0;               // tar members read, whiteouts included
    uint64_t bytes = 0;                 // bytes of regular file content written
    std::vector<std::string> warnings;  // what was skipped, also logged with log_warning
    // "sha256:<hex>" of the uncompressed tar stream, every byte of it (end-of-archive blocks and whatever follows
    // them included): the layer's diff_id in the image config's rootfs.
    std::string diff_id;
};

// Reads a layer tar from `read_chunk` (called repeatedly; returns how many bytes it placed into the buffer, 0 at
// the end; may throw, and its exception is passed on), compressed with gzip or zstd or not at all, and writes it
// under the directory `root_fd` (an O_PATH or O_DIRECTORY descriptor of the layer's root). The stream is read to its
// end, so a digest that `read_chunk` computes covers every byte; it is not read again after it returned 0. Throws Error
// when the stream is broken, when an entry cannot be written, and when an entry climbs above the root
// ("hostile layer: entry \"../x\" escapes the layer root"). Absolute names are taken as relative to the root.
// The decompressed stream is streamed, never held whole, and hashed to give `diff_id`.
UnpackResult unpack_layer(const std::function<size_t(char* buffer, size_t size)>& read_chunk, int root_fd,
                          const UnpackOptions& options);

// The same, from a layer file into a directory.
UnpackResult unpack_layer_file(const std::string& layer_path, const std::string& target_dir,
                               const UnpackOptions& options);

}  // namespace berth::storage
