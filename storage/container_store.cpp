#include "storage/container_store.hpp"

#include <sys/random.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "storage/container_record_codec.hpp"

namespace berth::storage {
namespace {

constexpr size_t id_length = 64;
constexpr size_t minimum_id_prefix = 1;
constexpr const char* record_file = "container.json";
constexpr const char* names_directory = "names";  // <name> -> symlink to the id of the container of that name

std::string already_in_use(const std::string& name, const std::string& id) {
    return "the container name \"" + name + "\" is already in use by " + id +
           ". You have to remove that container to be able to reuse that name: that name is already in use";
}

bool is_lower_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_container_id(std::string_view text) { return text.size() == id_length && is_lower_hex(text); }

void fill_random(unsigned char* bytes, size_t size) {
    size_t done = 0;
    while (done < size) {
        ssize_t got = ::getrandom(bytes + done, size - done, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) throw_last_errno("getrandom");
        done += static_cast<size_t>(got);
    }
}

}  // namespace

std::string state_name(ContainerState state) {
    switch (state) {
        case ContainerState::created: return "created";
        case ContainerState::running: return "running";
        case ContainerState::paused: return "paused";
        case ContainerState::stopped: return "stopped";
        case ContainerState::exited: return "exited";
    }
    return "unknown";
}

std::optional<ContainerState> parse_state(const std::string& name) {
    for (auto state : {ContainerState::created, ContainerState::running, ContainerState::paused,
                       ContainerState::stopped, ContainerState::exited})
        if (state_name(state) == name) return state;
    return std::nullopt;
}

ContainerStore::ContainerStore(std::string graph_root)
    : containers_dir_(graph_root + "/containers"),
      names_dir_(containers_dir_ + "/" + names_directory),
      lock_path_(graph_root + "/containers.lock") {}

ContainerPaths ContainerStore::paths_of(const std::string& id) const {
    ContainerPaths paths;
    paths.directory = containers_dir_ + "/" + id;
    paths.record = paths.directory + "/" + record_file;
    paths.userdata = paths.directory + "/userdata";
    paths.spec = paths.userdata + "/config.json";
    paths.rootfs = paths.directory + "/rootfs";
    paths.upper = paths.directory + "/diff";
    paths.work = paths.directory + "/work";
    return paths;
}

FileLock ContainerStore::lock_exclusive() const {
    make_directories(containers_dir_, 0700);
    return FileLock::exclusive(lock_path_);
}

FileLock ContainerStore::lock_for_reading() const {
    if (FileLock::held_by_this_thread(lock_path_, false)) return {};
    make_directories(containers_dir_, 0700);
    return FileLock::shared(lock_path_);
}

FileLock ContainerStore::lock_for_change() const {
    if (FileLock::held_by_this_thread(lock_path_, true)) return {};
    return lock_exclusive();
}

std::optional<ContainerRecord> ContainerStore::load(const std::string& id) const { return load_at(AT_FDCWD, id); }

std::optional<ContainerRecord> ContainerStore::load_at(int containers_fd, const std::string& id) const {
    auto path = containers_dir_ + "/" + id + "/" + record_file;
    thread_local std::string text;  // one buffer for every record a listing reads
    auto name = containers_fd == AT_FDCWD ? path : id + "/" + record_file;
    if (!read_regular_file_at(containers_fd, name, path, text)) return std::nullopt;
    try {
        return decode_container_record(text);
    } catch (const std::exception& error) {
        log_warning("container record " + path + " is unreadable, skipping it: " + error.what());
        return std::nullopt;
    }
}

// A container's first record is durable; its state changes (running, exited, pids) are atomic only: after a power
// loss the pids and state of that boot mean nothing anyway, and reconciliation reads them as exited.
void ContainerStore::write(const ContainerRecord& record, Durability durability) const {
    write_file_atomic(paths_of(record.id).record, encode_container_record(record), 0600, durability);
}

ContainerRecord ContainerStore::create(ContainerRecord record, const Prepare& prepare) {
    if (!is_container_id(record.id)) throw Error("container id \"" + record.id + "\" is not 64 hex digits");
    check_name(record.name);
    auto lock = lock_for_change();
    index_names();
    if (auto other = named(record.name))
        throw Error("creating container storage: " + already_in_use(record.name, other->id));
    auto paths = paths_of(record.id);
    if (path_exists(paths.directory)) throw Error("container " + record.id + " already exists");
    make_directories(paths.userdata, 0700);
    try {
        if (prepare) prepare(paths, record);
        // The name first: a crash before the record leaves a name pointing at no record, which counts as free.
        link_name(record.name, record.id, Durability::durable);
        write(record, Durability::durable);
    } catch (...) {
        unlink_name(record.name, record.id);
        try {
            remove_tree(paths.directory);
        } catch (const std::exception& error) {
            log_warning("remove " + paths.directory + ": " + error.what());
        }
        throw;
    }
    return record;
}

std::vector<std::string> ContainerStore::ids() const {
    std::vector<std::string> ids;
    for (auto& entry : list_directory(containers_dir_))
        if (is_container_id(entry)) ids.push_back(std::move(entry));
    return ids;
}

std::vector<ContainerRecord> ContainerStore::list() const {
    auto lock = lock_for_reading();
    std::vector<ContainerRecord> records;
    UniqueFd directory(::open(containers_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!directory) {
        if (errno == ENOENT) return records;
        throw_last_errno("open " + containers_dir_);
    }
    auto entries = list_directory_at(directory.get(), containers_dir_);
    records.reserve(entries.size());  // records are large: growing the vector would copy them into new pages
    for (const auto& entry : entries) {
        if (!is_container_id(entry)) continue;
        if (auto record = load_at(directory.get(), entry)) records.push_back(std::move(*record));
    }
    // Sorted by creation through an index, then put in place by swaps along the permutation's cycles: sorting the
    // records themselves moves each one many times.
    std::vector<size_t> order(records.size());
    for (size_t index = 0; index < order.size(); ++index) order[index] = index;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return records[a].created_ns != records[b].created_ns ? records[a].created_ns < records[b].created_ns
                                                              : records[a].id < records[b].id;
    });
    for (size_t start = 0; start < order.size(); ++start) {
        // order[i] is where position i's record is; follow the cycle through start, marking done ones with i.
        size_t current = start;
        while (order[current] != start) {
            size_t next = order[current];
            std::swap(records[current], records[next]);
            order[current] = current;
            current = next;
        }
        order[current] = current;
    }
    return records;
}

std::optional<ContainerRecord> ContainerStore::find(const std::string& name_or_id) const {
    auto lock = lock_for_reading();
    if (is_container_id(name_or_id))
        if (auto record = load(name_or_id)) return record;
    if (auto record = named(name_or_id)) return record;
    if (name_or_id.size() < minimum_id_prefix || !is_lower_hex(name_or_id)) return std::nullopt;
    std::optional<ContainerRecord> found;
    for (const auto& id : ids()) {
        if (!id.starts_with(name_or_id)) continue;
        auto record = load(id);
        if (!record) continue;
        if (found)
            throw Error("more than one result for container ID " + name_or_id +
                        ": multiple containers match the prefix");
        found = std::move(record);
    }
    return found;
}

ContainerRecord ContainerStore::rename(const std::string& id, const std::string& new_name) {
    check_name(new_name);
    auto lock = lock_for_change();
    index_names();
    auto record = load(id);
    if (!record) throw Error("no container with ID " + id + " found in storage: no such container");
    if (auto other = named(new_name); other && other->id != id) throw Error(already_in_use(new_name, other->id));
    std::string old_name = record->name;
    // The new name, the record, then the old name goes: at every step each name points at its record or at a
    // record of another name, which counts as free.
    link_name(new_name, id, Durability::atomic);
    record->name = new_name;
    write(*record, Durability::atomic);
    if (old_name != new_name) unlink_name(old_name, id);
    return *record;
}

ContainerRecord ContainerStore::update(const std::string& id, const std::function<void(ContainerRecord&)>& change) {
    auto lock = lock_for_change();
    auto record = load(id);
    if (!record) throw Error("no container with ID " + id + " found in storage: no such container");
    std::string name = record->name;
    change(*record);
    record->id = id;
    record->name = name;  // a name changes only by rename(), which keeps the name index
    write(*record, Durability::atomic);
    return *record;
}

void ContainerStore::remove(const std::string& id, const std::function<void(const std::string&)>& remove_files) {
    auto paths = paths_of(id);
    {
        auto lock = lock_for_change();
        auto record = load(id);
        // The record goes first: from then on nobody lists the container, whatever happens to its files.
        if (::unlink(paths.record.c_str()) != 0 && errno != ENOENT) throw_last_errno("remove " + paths.record);
        if (record) unlink_name(record->name, id);
    }
    if (path_exists(paths.directory)) remove_files(paths.directory);
}

std::vector<std::string> ContainerStore::images_in_use() const {
    std::vector<std::string> images;
    for (const auto& record : list()) images.push_back(record.image_id);
    return images;
}

void ContainerStore::check_name(const std::string& name) {
    if (!valid_container_name(name))
        throw Error("container name \"" + name + "\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
}

std::optional<ContainerRecord> ContainerStore::named(const std::string& name) const {
    if (!valid_container_name(name)) return std::nullopt;
    if (!path_exists(names_dir_)) {  // a store from before the index: look at every record
        for (auto& record : list())
            if (record.name == name) return std::move(record);
        return std::nullopt;
    }
    char target[id_length + 2] = {};
    ssize_t length = ::readlink((names_dir_ + "/" + name).c_str(), target, sizeof target - 1);
    if (length < 0) {
        if (errno == ENOENT) return std::nullopt;
        throw_last_errno("read the name " + names_dir_ + "/" + name);
    }
    std::string id(target, static_cast<size_t>(length));
    if (!is_container_id(id)) return std::nullopt;
    auto record = load(id);
    if (!record || record->name != name) return std::nullopt;  // left behind by a crash: the name is free
    return record;
}

// The index of names is built once, from every record, the first time the store changes after it was created
// without one; the directory appears whole (built aside, then renamed), so no reader sees half of it.
void ContainerStore::index_names() const {
    if (path_exists(names_dir_)) return;
    make_directories(containers_dir_, 0700);
    std::string building = names_dir_ + ".tmp-" + std::to_string(::getpid());
    remove_tree(building);
    make_directories(building, 0700);
    for (const auto& record : list()) {
        std::string link = building + "/" + record.name;
        if (::symlink(record.id.c_str(), link.c_str()) != 0 && errno != EEXIST) throw_last_errno("create " + link);
    }
    if (::rename(building.c_str(), names_dir_.c_str()) != 0) {
        int error = errno;
        remove_tree(building);
        throw_errno("rename " + building + " to " + names_dir_, error);
    }
}

void ContainerStore::link_name(const std::string& name, const std::string& id, Durability durability) const {
    std::string link = names_dir_ + "/" + name;
    std::string temporary = names_dir_ + "/.tmp-" + std::to_string(::getpid());
    ::unlink(temporary.c_str());
    if (::symlink(id.c_str(), temporary.c_str()) != 0) throw_last_errno("create " + temporary);
    if (::rename(temporary.c_str(), link.c_str()) != 0) {
        int error = errno;
        ::unlink(temporary.c_str());
        throw_errno("rename " + temporary + " to " + link, error);
    }
    if (durability == Durability::atomic) return;
    UniqueFd directory(::open(names_dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (directory && ::fsync(directory.get()) != 0) throw_last_errno("fsync " + names_dir_);
}

void ContainerStore::unlink_name(const std::string& name, const std::string& id) const {
    std::string link = names_dir_ + "/" + name;
    char target[id_length + 2] = {};
    ssize_t length = ::readlink(link.c_str(), target, sizeof target - 1);
    if (length >= 0 && std::string_view(target, static_cast<size_t>(length)) == id) ::unlink(link.c_str());
}

std::string new_container_id() {
    std::array<unsigned char, id_length / 2> bytes{};
    fill_random(bytes.data(), bytes.size());
    static constexpr char digits[] = "0123456789abcdef";
    std::string id;
    for (unsigned char byte : bytes) {
        id += digits[byte >> 4];
        id += digits[byte & 0xf];
    }
    return id;
}

std::string random_container_name() {
    static constexpr const char* adjectives[] = {
        "admiring", "agitated", "amazing",  "awesome", "bold",    "brave",     "busy",     "charming", "clever",
        "cool",     "dazzling", "eager",    "elated",  "festive", "focused",   "gallant",  "gifted",   "happy",
        "hopeful",  "jolly",    "keen",     "kind",    "loving",  "lucid",     "modest",   "nice",     "peaceful",
        "quirky",   "relaxed",  "serene",   "sharp",   "stoic",   "tender",    "trusting", "upbeat",   "vibrant",
        "wizardly", "zealous",  "youthful", "xenial",  "sweet",   "priceless", "nostalgic"};
    static constexpr const char* surnames[] = {
        "albattani", "archimedes", "babbage",  "bell",    "bohr",   "curie",     "darwin",   "dijkstra", "einstein",
        "euclid",    "faraday",    "fermi",    "galileo", "gauss",  "hopper",    "hypatia",  "kepler",   "knuth",
        "lamarr",    "lovelace",   "mccarthy", "meitner", "newton", "noether",   "pascal",   "ritchie",  "shannon",
        "thompson",  "torvalds",   "turing",   "wozniak", "yalow",  "zhukovsky", "goldberg", "hamilton", "tesla"};
    std::array<unsigned char, 2> pick{};
    fill_random(pick.data(), pick.size());
    return std::string(adjectives[pick[0] % std::size(adjectives)]) + "_" + surnames[pick[1] % std::size(surnames)];
}

bool valid_container_name(const std::string& name) {
    if (name.empty()) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
    if (!alnum(name[0])) return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '_' || c == '.' || c == '-'; });
}

}  // namespace berth::storage
