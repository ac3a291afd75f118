// Content-addressed blobs (manifests, configs, compressed layers) under <graph root>/blobs/sha256/<hex>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.hpp"
#include "common/unique_fd.hpp"

namespace berth::storage {

// A blob is stored only once its bytes are known to match its digest: it is written to a temporary file in
// <graph root>/blobs/tmp/ (same file system), hashed on the way, fsynced and renamed into place. Any number of
// processes may write the same blob at once; each rename puts identical bytes in place.
class BlobStore {
public:
    explicit BlobStore(std::string graph_root);

    // Whether the blob is present (false for a text that is not a sha256 digest).
    bool contains(const std::string& digest) const;
    // Where the blob is, or would be, stored; throws Error for a text that is not a sha256 digest.
    std::string path_of(const std::string& digest) const;
    // The blob's bytes; throws Error naming the digest when it is missing.
    std::string read(const std::string& digest) const;

    // A blob being written: bytes are hashed as they come; commit() checks digest and size, fsyncs and renames
    // the file into place. Until then nothing is visible in the store; a Writer destroyed without a
    // successful commit removes its temporary file.
    class Writer {
    public:
        Writer(Writer&& other) noexcept;
        Writer& operator=(Writer&& other) noexcept;
        Writer(const Writer&) = delete;
        Writer& operator=(const Writer&) = delete;
        ~Writer();

        void write(const void* data, size_t size);
        void write(std::string_view data) { write(data.data(), data.size()); }
        // Bytes written so far.
        uint64_t size() const { return size_; }
        // The digest of the bytes written so far.
        std::string digest_so_far() const { return hash_.peek(); }
        // Stores the blob when its bytes have expected_digest (and expected_size bytes, when given). Otherwise
        // throws Error("blob <expected>: digest mismatch: got <actual>") or ("blob <expected>: size mismatch:
        // expected N bytes, got M"), removes the temporary file and stores nothing. The Writer is finished
        // either way.
        void commit(const std::string& expected_digest, std::optional<uint64_t> expected_size);

    private:
        friend class BlobStore;
        Writer(UniqueFd fd, std::string temporary_path, std::string blobs_dir);
        void discard() noexcept;

        UniqueFd fd_;
        std::string temporary_path_;  // empty once committed or discarded
        std::string blobs_dir_;       // <graph root>/blobs/sha256
        Sha256 hash_;
        uint64_t size_ = 0;
    };

    // Starts writing a blob whose digest is checked at commit().
    Writer begin_write();
    // Writes and commits a blob in one step.
    void put(const std::string& expected_digest, std::string_view data);
    // Removes a blob; a missing one is fine.
    void remove(const std::string& digest);
    // The digests of the blobs present, sorted.
    std::vector<std::string> list() const;
    // Removes temporary files left by killed writers: those of a process of this pid namespace that no longer
    // exists, and any older than an hour.
    void remove_stale_temporaries();

    const std::string& blobs_dir() const { return blobs_dir_; }
    const std::string& temporary_dir() const { return temporary_dir_; }

private:
    std::string blobs_dir_;      // <graph root>/blobs/sha256
    std::string temporary_dir_;  // <graph root>/blobs/tmp
};

}  // namespace berth::storage
