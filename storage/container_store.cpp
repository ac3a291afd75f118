#include "storage/container_store.hpp"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"

namespace berth::storage {
namespace {

constexpr size_t id_length = 64;
constexpr size_t minimum_id_prefix = 1;
constexpr const char* record_file = "container.json";

bool is_lower_hex(std::string_view text) {
    return std::all_of(text.begin(), text.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_container_id(std::string_view text) { return text.size() == id_length && is_lower_hex(text); }

nlohmann::json ports_to_json(const std::vector<PublishedPort>& ports) {
    auto json = nlohmann::json::array();
    for (const auto& port : ports)
        json.push_back({{"host_ip", port.host_ip},
                        {"container_port", port.container_port},
                        {"host_port", port.host_port},
                        {"range", port.range},
                        {"protocol", port.protocol}});
    return json;
}

std::vector<PublishedPort> ports_from_json(const nlohmann::json& json) {
    std::vector<PublishedPort> ports;
    if (!json.is_array()) return ports;
    for (const auto& item : json) {
        PublishedPort port;
        port.host_ip = item.value("host_ip", "");
        port.container_port = item.value("container_port", uint16_t{0});
        port.host_port = item.value("host_port", uint16_t{0});
        port.range = item.value("range", uint16_t{1});
        port.protocol = item.value("protocol", "tcp");
        ports.push_back(port);
    }
    return ports;
}

nlohmann::json record_to_json(const ContainerRecord& record) {
    return nlohmann::json{
        {"id", record.id},
        {"name", record.name},
        {"image_id", record.image_id},
        {"image_name", record.image_name},
        {"command", record.command},
        {"created_ns", record.created_ns},
        {"labels", record.labels},
        {"driver", record.driver},
        {"layers", record.layers},
        {"remove_after_exit", record.remove_after_exit},
        {"stop_signal", record.stop_signal},
        {"tty", record.tty},
        {"interactive", record.interactive},
        {"rootless", record.rootless},
        {"seccomp_profile", record.seccomp_profile},
        {"restart_policy", record.restart_policy},
        {"restart_max", record.restart_max},
        {"restart_count", record.restart_count},
        {"stopped_by_user", record.stopped_by_user},
        {"log_max_size", record.log_max_size},
        {"network", record.network},
        {"ports", ports_to_json(record.ports)},
        {"state", state_name(record.state)},
        {"pid", record.pid},
        {"pid_start_time", record.pid_start_time},
        {"monitor_pid", record.monitor_pid},
        {"monitor_start_time", record.monitor_start_time},
        {"boot_id", record.boot_id},
        {"started_ns", record.started_ns},
        {"finished_ns", record.finished_ns},
        {"exit_code", record.exit_code},
        {"error", record.error},
    };
}

ContainerRecord record_from_json(const nlohmann::json& json) {
    if (!json.is_object()) throw Error("not a JSON object");
    ContainerRecord record;
    record.id = json.at("id").get<std::string>();
    if (!is_container_id(record.id)) throw Error("id \"" + record.id + "\" is not 64 hex digits");
    record.name = json.at("name").get<std::string>();
    record.image_id = json.value("image_id", "");
    record.image_name = json.value("image_name", "");
    record.command = json.value("command", std::vector<std::string>{});
    record.created_ns = json.value("created_ns", int64_t{0});
    record.labels = json.value("labels", std::map<std::string, std::string>{});
    record.driver = json.value("driver", "overlay");
    record.layers = json.value("layers", std::vector<std::string>{});
    record.remove_after_exit = json.value("remove_after_exit", false);
    record.stop_signal = json.value("stop_signal", "SIGTERM");
    record.tty = json.value("tty", false);
    record.interactive = json.value("interactive", false);
    record.rootless = json.value("rootless", false);
    record.seccomp_profile = json.value("seccomp_profile", "");
    record.restart_policy = json.value("restart_policy", "no");
    record.restart_max = json.value("restart_max", 0);
    record.restart_count = json.value("restart_count", 0);
    record.stopped_by_user = json.value("stopped_by_user", false);
    record.log_max_size = json.value("log_max_size", uint64_t{0});
    record.network = json.value("network", "");
    if (auto ports = json.find("ports"); ports != json.end()) record.ports = ports_from_json(*ports);
    auto state = parse_state(json.value("state", "created"));
    if (!state) throw Error("unknown state \"" + json.value("state", "") + "\"");
    record.state = *state;
    record.pid = json.value("pid", 0);
    record.pid_start_time = json.value("pid_start_time", uint64_t{0});
    record.monitor_pid = json.value("monitor_pid", 0);
    record.monitor_start_time = json.value("monitor_start_time", uint64_t{0});
    record.boot_id = json.value("boot_id", "");
    record.started_ns = json.value("started_ns", int64_t{0});
    record.finished_ns = json.value("finished_ns", int64_t{0});
    record.exit_code = json.value("exit_code", 0);
    record.error = json.value("error", "");
    return record;
}

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
    : containers_dir_(graph_root + "/containers"), lock_path_(graph_root + "/containers.lock") {}

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

std::optional<ContainerRecord> ContainerStore::load(const std::string& id) const {
    auto path = paths_of(id).record;
    auto text = read_file_if_exists(path);
    if (!text) return std::nullopt;
    try {
        return record_from_json(nlohmann::json::parse(*text));
    } catch (const std::exception& error) {
        log_warning("container record " + path + " is unreadable, skipping it: " + error.what());
        return std::nullopt;
    }
}

// A container's first record is durable; its state changes (running, exited, pids) are atomic only: after a power
// loss the pids and state of that boot mean nothing anyway, and reconciliation reads them as exited.
void ContainerStore::write(const ContainerRecord& record, Durability durability) const {
    write_file_atomic(paths_of(record.id).record, record_to_json(record).dump(), 0600, durability);
}

ContainerRecord ContainerStore::create(ContainerRecord record, const Prepare& prepare) {
    if (!is_container_id(record.id)) throw Error("container id \"" + record.id + "\" is not 64 hex digits");
    if (!valid_container_name(record.name))
        throw Error("container name \"" + record.name +
                    "\": names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid "
                    "argument");
    auto lock = lock_for_change();
    for (const auto& other : list())
        if (other.name == record.name)
            throw Error("creating container storage: the container name \"" + record.name + "\" is already in use by " +
                        other.id +
                        ". You have to remove that container to be able to reuse that name: that name is already "
                        "in use");
    auto paths = paths_of(record.id);
    if (path_exists(paths.directory)) throw Error("container " + record.id + " already exists");
    make_directories(paths.userdata, 0700);
    try {
        if (prepare) prepare(paths, record);
        write(record, Durability::durable);
    } catch (...) {
        try {
            remove_tree(paths.directory);
        } catch (const std::exception& error) {
            log_warning("remove " + paths.directory + ": " + error.what());
        }
        throw;
    }
    return record;
}

std::vector<ContainerRecord> ContainerStore::list() const {
    auto lock = lock_for_reading();
    std::vector<ContainerRecord> records;
    for (const auto& entry : list_directory(containers_dir_)) {
        if (!is_container_id(entry)) continue;
        if (auto record = load(entry)) records.push_back(std::move(*record));
    }
    std::sort(records.begin(), records.end(), [](const ContainerRecord& a, const ContainerRecord& b) {
        return a.created_ns != b.created_ns ? a.created_ns < b.created_ns : a.id < b.id;
    });
    return records;
}

std::optional<ContainerRecord> ContainerStore::find(const std::string& name_or_id) const {
    auto lock = lock_for_reading();
    if (is_container_id(name_or_id))
        if (auto record = load(name_or_id)) return record;
    auto records = list();
    for (const auto& record : records)
        if (record.name == name_or_id) return record;
    if (name_or_id.size() < minimum_id_prefix || !is_lower_hex(name_or_id)) return std::nullopt;
    std::optional<ContainerRecord> found;
    for (const auto& record : records) {
        if (!record.id.starts_with(name_or_id)) continue;
        if (found)
            throw Error("more than one result for container ID " + name_or_id +
                        ": multiple containers match the prefix");
        found = record;
    }
    return found;
}

ContainerRecord ContainerStore::update(const std::string& id, const std::function<void(ContainerRecord&)>& change) {
    auto lock = lock_for_change();
    auto record = load(id);
    if (!record) throw Error("no container with ID " + id + " found in storage: no such container");
    change(*record);
    record->id = id;
    write(*record, Durability::atomic);
    return *record;
}

void ContainerStore::remove(const std::string& id, const std::function<void(const std::string&)>& remove_files) {
    auto paths = paths_of(id);
    {
        auto lock = lock_for_change();
        // The record goes first: from then on nobody lists the container, whatever happens to its files.
        if (::unlink(paths.record.c_str()) != 0 && errno != ENOENT) throw_last_errno("remove " + paths.record);
    }
    if (path_exists(paths.directory)) remove_files(paths.directory);
}

std::vector<std::string> ContainerStore::images_in_use() const {
    std::vector<std::string> images;
    for (const auto& record : list()) images.push_back(record.image_id);
    return images;
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
