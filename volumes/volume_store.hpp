// Volumes: <graph root>/volumes/<name>/ holds volume.json (the record) and _data (what containers mount), as
// Podman lays them out. <graph root>/volumes.lock guards them: shared for reads, exclusive for changes.
//
// A kill -9 at any moment leaves either the volume or nothing:
// - create fills <volumes>/.create-XXXXXX (the record fsynced, the data directory) and renames it to <name>;
// - remove renames <name> to <volumes>/.remove-<name>-XXXXXX, then deletes that;
// - a copy-up fills <name>/.copy-up and renames it over the empty _data, then records that it is done.
// Names never start with '.', so what a crash leaves is never listed, and the next change deletes it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/file_lock.hpp"
#include "volumes/volume_record.hpp"

namespace berth::volumes {

struct VolumePaths {
    std::string directory;  // <graph root>/volumes/<name>
    std::string record;     // .../volume.json
    std::string data;       // .../_data
};

class VolumeStore {
public:
    // Removes a directory tree of the store; rootless callers remove files of subordinate ids inside their user
    // namespace. The default is remove_tree().
    using RemoveFiles = std::function<void(const std::string&)>;

    explicit VolumeStore(const std::string& graph_root, RemoveFiles remove_files = {});

    const std::string& volumes_dir() const { return volumes_dir_; }
    VolumePaths paths_of(const std::string& name) const;

    // Creates the volume (its name checked as Podman checks it) and returns its record; created_ns is set when 0.
    // Podman's Error when the name is taken: "volume with name NAME already exists: volume already exists".
    VolumeRecord create(VolumeRecord record);

    // The volume with this name, else nothing.
    std::optional<VolumeRecord> find(const std::string& name) const;

    // All volumes, by name. A record that cannot be read is skipped with a warning naming it.
    std::vector<VolumeRecord> list() const;

    // Changes a record under the exclusive lock; Error (exit 1) when the volume does not exist.
    VolumeRecord update(const std::string& name, const std::function<void(VolumeRecord&)>& change);

    // Removes the volume and its data; Podman's Error (exit 1) when it does not exist:
    // `no volume with name "NAME" found: no such volume`.
    void remove(const std::string& name);

    // Copies an image's content into the volume once, when it still needs it: `fill` fills a fresh staging
    // directory and returns whether it put anything there; what it made replaces the data directory when that
    // is still empty (and gives it its owner: no chown is needed any more). The record then says the copy-up is
    // done. Runs under the exclusive lock.
    void copy_up(const std::string& name, const std::function<bool(const std::string& staging)>& fill);

    // Podman's first-use chown: while the record says a chown is needed, `chown` gets the data directory (to
    // give it to the container's user); then the record says it is done. Runs under the exclusive lock.
    void chown_once(const std::string& name, const std::function<void(const std::string& data)>& chown);

    // Whether the host path is the data directory of a volume of this store; the volume's name when it is.
    std::optional<std::string> volume_of_data_path(const std::string& path) const;

    FileLock lock_exclusive() const;

private:
    FileLock lock_for_reading() const;
    FileLock lock_for_change() const;
    std::optional<VolumeRecord> load(const std::string& name) const;
    void write(const VolumeRecord& record, const std::string& directory) const;
    void remove_leftovers() const;

    std::string volumes_dir_;
    std::string lock_path_;
    RemoveFiles remove_files_;
};

// Podman's error for a missing volume, exit status 1.
[[noreturn]] void throw_no_such_volume(const std::string& name);

}  // namespace berth::volumes
