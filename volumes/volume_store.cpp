#include "volumes/volume_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "volumes/volume_name.hpp"

namespace berth::volumes {
namespace {

constexpr const char* record_file = "volume.json";
constexpr const char* data_dir = "_data";
constexpr const char* copy_up_dir = ".copy-up";
constexpr const char* create_prefix = ".create-";
constexpr const char* remove_prefix = ".remove-";

int64_t now_ns() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

void sync_directory(const std::string& path) {
    UniqueFd directory(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!directory) throw_last_errno("open " + path);
    if (::fsync(directory.get()) != 0) throw_last_errno("fsync " + path);
}

bool directory_is_empty(const std::string& path) { return list_directory(path).empty(); }

}  // namespace

void throw_no_such_volume(const std::string& name) {
    throw Error("no volume with name \"" + name + "\" found: no such volume", 1);
}

VolumeStore::VolumeStore(const std::string& graph_root, RemoveFiles remove_files)
    : volumes_dir_(graph_root + "/volumes"),
      lock_path_(graph_root + "/volumes.lock"),
      remove_files_(remove_files ? std::move(remove_files)
                                 : RemoveFiles([](const std::string& path) { remove_tree(path); })) {}

VolumePaths VolumeStore::paths_of(const std::string& name) const {
    std::string directory = volumes_dir_ + "/" + name;
    return {directory, directory + "/" + record_file, directory + "/" + data_dir};
}

FileLock VolumeStore::lock_exclusive() const {
    make_directories(volumes_dir_, 0700);
    return FileLock::exclusive(lock_path_);
}

FileLock VolumeStore::lock_for_reading() const {
    if (FileLock::held_by_this_thread(lock_path_, false)) return {};
    make_directories(volumes_dir_, 0700);
    return FileLock::shared(lock_path_);
}

FileLock VolumeStore::lock_for_change() const {
    if (FileLock::held_by_this_thread(lock_path_, true)) return {};
    return lock_exclusive();
}

std::optional<VolumeRecord> VolumeStore::load(const std::string& name) const {
    if (!valid_volume_name(name)) return std::nullopt;
    auto paths = paths_of(name);
    auto text = read_file_if_exists(paths.record);
    if (!text) return std::nullopt;
    auto record = decode_volume_record(*text, paths.record);
    if (record.name != name) throw Error("volume record " + paths.record + ": it names volume \"" + record.name + "\"");
    return record;
}

void VolumeStore::write(const VolumeRecord& record, const std::string& directory) const {
    write_file_atomic(directory + "/" + record_file, encode_volume_record(record), 0600, Durability::durable);
}

void VolumeStore::remove_leftovers() const {
    for (const auto& entry : list_directory(volumes_dir_)) {
        if (!entry.starts_with(create_prefix) && !entry.starts_with(remove_prefix)) continue;
        try {
            remove_files_(volumes_dir_ + "/" + entry);
        } catch (const Error& error) {
            log_warning(std::string("remove what an interrupted volume change left: ") + error.what());
        }
    }
}

VolumeRecord VolumeStore::create(VolumeRecord record) {
    check_volume_name(record.name);
    if (record.created_ns == 0) record.created_ns = now_ns();
    auto lock = lock_for_change();
    remove_leftovers();
    auto paths = paths_of(record.name);
    if (path_exists(paths.directory))
        throw Error("volume with name " + record.name + " already exists: volume already exists");
    TempDir staging(volumes_dir_, create_prefix);
    if (::chmod(staging.path().c_str(), 0700) != 0) throw_last_errno("chmod " + staging.path());
    std::string data = staging.path() + "/" + data_dir;
    if (::mkdir(data.c_str(), 0755) != 0) throw_last_errno("create " + data);
    if (::chmod(data.c_str(), 0755) != 0) throw_last_errno("chmod " + data);  // whatever the umask
    write(record, staging.path());
    sync_directory(staging.path());
    if (::rename(staging.path().c_str(), paths.directory.c_str()) != 0)
        throw_last_errno("create volume " + record.name + ": rename " + staging.path() + " to " + paths.directory);
    sync_directory(volumes_dir_);
    return record;
}

std::optional<VolumeRecord> VolumeStore::find(const std::string& name) const {
    auto lock = lock_for_reading();
    return load(name);
}

std::vector<VolumeRecord> VolumeStore::list() const {
    auto lock = lock_for_reading();
    std::vector<VolumeRecord> records;
    for (const auto& entry : list_directory(volumes_dir_)) {
        if (!valid_volume_name(entry)) continue;
        try {
            if (auto record = load(entry)) records.push_back(std::move(*record));
        } catch (const Error& error) {
            log_warning(std::string("skipping volume ") + entry + ": " + error.what());
        }
    }
    return records;
}

VolumeRecord VolumeStore::update(const std::string& name, const std::function<void(VolumeRecord&)>& change) {
    auto lock = lock_for_change();
    auto record = load(name);
    if (!record) throw_no_such_volume(name);
    change(*record);
    record->name = name;
    write(*record, paths_of(name).directory);
    return *record;
}

void VolumeStore::remove(const std::string& name) {
    auto lock = lock_for_change();
    remove_leftovers();
    if (!load(name)) throw_no_such_volume(name);
    // A name of its own for the doomed directory: from here on the volume is gone for everyone.
    TempDir placeholder(volumes_dir_, std::string(remove_prefix) + name + "-");
    std::string doomed = placeholder.path();
    if (::rename(paths_of(name).directory.c_str(), doomed.c_str()) != 0)
        throw_last_errno("remove volume " + name + ": rename " + paths_of(name).directory + " to " + doomed);
    sync_directory(volumes_dir_);
    remove_files_(doomed);
}

void VolumeStore::copy_up(const std::string& name, const std::function<bool(const std::string& staging)>& fill) {
    auto lock = lock_for_change();
    auto record = load(name);
    if (!record) throw_no_such_volume(name);
    if (!record->needs_copy_up) return;
    auto paths = paths_of(name);
    std::string staging = paths.directory + "/" + copy_up_dir;
    remove_files_(staging);  // what an interrupted copy-up left
    if (directory_is_empty(paths.data) && fill(staging)) {
        if (::rename(staging.c_str(), paths.data.c_str()) != 0)
            throw_last_errno("copy up into volume " + name + ": rename " + staging + " to " + paths.data);
        sync_directory(paths.directory);
        record->needs_chown = false;
    } else if (path_exists(staging)) {
        remove_files_(staging);
    }
    record->needs_copy_up = false;
    write(*record, paths.directory);
}

void VolumeStore::chown_once(const std::string& name, const std::function<void(const std::string& data)>& chown) {
    auto lock = lock_for_change();
    auto record = load(name);
    if (!record) throw_no_such_volume(name);
    if (!record->needs_chown) return;
    auto paths = paths_of(name);
    chown(paths.data);
    record->needs_chown = false;
    write(*record, paths.directory);
}

std::optional<std::string> VolumeStore::volume_of_data_path(const std::string& path) const {
    std::string prefix = volumes_dir_ + "/";
    std::string suffix = std::string("/") + data_dir;
    if (!path.starts_with(prefix) || !path.ends_with(suffix) || path.size() <= prefix.size() + suffix.size())
        return std::nullopt;
    std::string name = path.substr(prefix.size(), path.size() - prefix.size() - suffix.size());
    if (!valid_volume_name(name)) return std::nullopt;
    return name;
}

}  // namespace berth::volumes
