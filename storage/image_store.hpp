// Image records and their names, under <graph root>/images/, one JSON file per image (images/<id hex>.json).
// Every operation holds <graph root>/storage.lock: shared for reads, exclusive for changes.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/file_lock.hpp"
#include "storage/chain_id.hpp"

namespace berth::storage {

struct ImageRecord {
    std::string id;                          // the config digest "sha256:...", which is the image id (as in Podman)
    std::vector<std::string> names;          // "docker.io/library/busybox:latest" ...
    std::vector<std::string> digests;        // manifest digests this image was pulled by ("sha256:...")
    std::string manifest_digest;             // the platform manifest's digest (its blob is in the BlobStore)
    std::string manifest_media_type;         // e.g. "application/vnd.oci.image.manifest.v1+json"
    std::string index_digest;                // the index / manifest list digest when pulled through one, else empty
    std::vector<std::string> layers;         // chain ids ("sha256:..."), bottom first
    std::vector<std::string> diff_ids;       // uncompressed layer digests, bottom first
    std::vector<std::string> layer_digests;  // compressed blob digests, as in the manifest
    std::string created;                     // from the config (RFC 3339)
    int64_t size = 0;                        // bytes of the unpacked layers
    int64_t pulled_at = 0;                   // unix seconds

    bool operator==(const ImageRecord&) const = default;
};

class ImageStore {
public:
    explicit ImageStore(std::string graph_root);

    // Adds a record, or updates the one with the same id: its fields are replaced by the record's, except names
    // and digests, which are merged (the ones it had first). Each of the record's names is taken away from any
    // other image that had it: a name belongs to one image; an image left without names stays, "dangling", as
    // in Podman. Each file is replaced atomically; the whole operation holds the exclusive lock. Throws Error
    // for a record whose id or digests are not sha256 digests.
    void put(const ImageRecord& record);

    // All images, ordered by id. A record file that cannot be read is skipped with a warning naming it.
    std::vector<ImageRecord> list() const;

    // The image with this exact name, else this full id (with or without "sha256:"), else the one image whose id
    // starts with these hex digits (at least 3, "sha256:" allowed before them). Nothing when none matches;
    // Error("ambiguous image id prefix ...") when several ids start with the prefix.
    std::optional<ImageRecord> find(const std::string& name_or_id) const;

    // Gives the image (full id, with or without "sha256:") a name, taking it from any other image.
    // Throws Error when there is no such image.
    void add_name(const std::string& id, const std::string& name);
    // Takes a name away from its image; throws Error naming it when no image has it.
    void remove_name(const std::string& name);
    // Removes an image's record (full id, with or without "sha256:"); throws Error when there is no such image.
    void remove(const std::string& id);

    // The chain ids of the layers all images use (for garbage collection).
    std::set<std::string> referenced_layers() const;
    // The blobs all images use: manifests (including every digest pulled by), configs, indexes, compressed layers.
    std::set<std::string> referenced_blobs() const;

    // The store's exclusive lock, for multi-step changes by callers (e.g. pull commit + garbage collection).
    // While the calling thread holds it, this store's own operations run inside it instead of locking again.
    FileLock lock_exclusive() const;

    const std::string& images_dir() const { return images_dir_; }
    const std::string& lock_path() const { return lock_path_; }

private:
    FileLock lock_for_reading() const;
    FileLock lock_for_change() const;
    std::vector<ImageRecord> load_records() const;
    void write_record(const ImageRecord& record) const;
    void release_names(std::vector<ImageRecord>& records, const std::string& keeper_id,
                       const std::vector<std::string>& names) const;
    void remove_leftover_temporaries() const;

    std::string graph_root_;
    std::string images_dir_;
    std::string lock_path_;
};

}  // namespace berth::storage
