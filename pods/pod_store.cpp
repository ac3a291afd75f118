#include "pods/pod_store.hpp"

#include <algorithm>
#include <fstream>
#include <random>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"

namespace berth::pods {
namespace {

bool valid_pod_name(const std::string& name) {
    if (name.empty()) return false;
    auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
    if (!word(name.front())) return false;
    return std::all_of(name.begin(), name.end(), [&](char c) { return word(c) || c == '_' || c == '.' || c == '-'; });
}

bool is_hex_id(const std::string& text) {
    return text.size() == 64 && std::all_of(text.begin(), text.end(),
                                            [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

std::string new_pod_id() {
    std::random_device device;
    static const char digits[] = "0123456789abcdef";
    std::string id;
    for (int index = 0; index < 64; ++index) id += digits[device() % 16];
    return id;
}

void throw_no_such_pod(const std::string& name_or_id, int status) {
    throw Error("no pod with name or ID " + name_or_id + " found: no such pod", status);
}

PodStore::PodStore(const std::string& graph_root)
    : pods_dir_(graph_root + "/pods"), lock_path_(graph_root + "/pods.lock") {}

FileLock PodStore::lock_exclusive() const {
    make_directories(pods_dir_, 0700);
    return FileLock::exclusive(lock_path_);
}

std::optional<PodRecord> PodStore::load(const std::string& id) const {
    std::string path = pods_dir_ + "/" + id + "/pod.json";
    auto text = read_file_if_exists(path);
    if (!text) return std::nullopt;
    auto json = nlohmann::json::parse(*text, nullptr, false);
    if (json.is_discarded()) throw Error(path + ": malformed JSON");
    return pod_from_json(json, path);
}

void PodStore::write(const PodRecord& record) const {
    std::string directory = pods_dir_ + "/" + record.id;
    make_directories(directory, 0700);
    write_file_atomic(directory + "/pod.json", to_json(record).dump(), 0600);
}

PodRecord PodStore::create(PodRecord record) {
    if (!valid_pod_name(record.name))
        throw Error("running pod create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument");
    auto lock = lock_exclusive();
    for (const auto& pod : list())
        if (pod.name == record.name)
            throw Error("adding pod to state: name \"" + record.name + "\" is in use: pod already exists");
    if (record.id.empty()) record.id = new_pod_id();
    write(record);
    return record;
}

std::vector<PodRecord> PodStore::list() const {
    std::vector<PodRecord> pods;
    if (!path_exists(pods_dir_)) return pods;
    std::optional<FileLock> lock;
    if (!FileLock::held_by_this_thread(lock_path_, false)) lock.emplace(FileLock::shared(lock_path_));
    for (const auto& id : list_directory(pods_dir_)) {
        if (!is_hex_id(id)) continue;
        try {
            if (auto pod = load(id)) pods.push_back(std::move(*pod));
        } catch (const Error& error) {
            log_warning(std::string("skipping pod ") + id + ": " + error.what());
        }
    }
    std::sort(pods.begin(), pods.end(),
              [](const PodRecord& a, const PodRecord& b) { return a.created_ns < b.created_ns; });
    return pods;
}

std::optional<PodRecord> PodStore::find(const std::string& name_or_id) const {
    if (name_or_id.empty()) return std::nullopt;
    auto pods = list();
    for (const auto& pod : pods)
        if (pod.id == name_or_id || pod.name == name_or_id) return pod;
    std::optional<PodRecord> found;
    for (const auto& pod : pods)
        if (pod.id.starts_with(name_or_id)) {
            if (found) throw Error("more than one result for pod ID " + name_or_id);
            found = pod;
        }
    return found;
}

PodRecord PodStore::get(const std::string& name_or_id, int missing_status) const {
    auto pod = find(name_or_id);
    if (!pod) throw_no_such_pod(name_or_id, missing_status);
    return *pod;
}

PodRecord PodStore::update(const std::string& id, const std::function<void(PodRecord&)>& change) {
    auto lock = lock_exclusive();
    auto pod = load(id);
    if (!pod) throw_no_such_pod(id);
    PodRecord changed = *pod;
    change(changed);
    changed.id = pod->id;
    changed.name = pod->name;
    write(changed);
    return changed;
}

void PodStore::remove(const std::string& id) {
    if (!is_hex_id(id)) throw Error("remove pod " + id + ": not a pod id");
    auto lock = lock_exclusive();
    std::string directory = pods_dir_ + "/" + id;
    if (path_exists(directory)) remove_tree(directory);
}

}  // namespace berth::pods
