// Tar streams of file trees: a container's filesystem (`berth export`) and the layer of its changes
// (`berth commit`), written with libarchive in the pax format that image layers use.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "storage/layer_diff.hpp"

namespace berth::storage {

// Receives the bytes of the stream as they are made; may throw, and its exception is passed on.
using ByteSink = std::function<void(const char* data, size_t size)>;

// A tar stream being written. Members are written in the order they are added; names are relative
// ("etc/passwd"). Regular files that share an inode are written once and then as hard links to it.
class TarWriter {
public:
    explicit TarWriter(ByteSink sink);
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;
    ~TarWriter();

    // The file `entry.source` under `name`, with its owner, mode, times and content (the owner as this process
    // sees it: inside a user namespace, the ids of the container's users). Sockets are left out.
    void add(const std::string& name, const TreeEntry& entry);
    // An OCI whiteout for `name`: the empty file "<dir>/.wh.<base>".
    void add_whiteout(const std::string& name);
    // Ends the archive; the stream is complete once this returns.
    void finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

// The whole view as a tar stream, in path order.
void write_view_tar(const TreeView& view, const ByteSink& sink);

// The changes as a layer: added and changed paths from `after` (a changed directory as its own entry only),
// deleted ones as whiteouts.
void write_changes_tar(const std::vector<Change>& changes, const TreeView& after, const ByteSink& sink);

// A gzip compressor in front of a sink.
class GzipWriter {
public:
    explicit GzipWriter(ByteSink sink);
    GzipWriter(const GzipWriter&) = delete;
    GzipWriter& operator=(const GzipWriter&) = delete;
    ~GzipWriter();
    void write(const char* data, size_t size);
    void finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace berth::storage
