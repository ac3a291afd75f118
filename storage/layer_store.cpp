#include "storage/layer_store.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/digest.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::storage {
namespace {

constexpr std::string_view temporary_prefix = "tmp-";

bool process_alive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

LayerStore::LayerStore(std::string graph_root) : layers_dir_(std::move(graph_root) + "/layers") {}

bool LayerStore::contains(const std::string& chain_id) const {
    return path_exists(layers_dir_ + "/" + digest_hex(chain_id) + "/layer.json");
}

std::string LayerStore::diff_path(const std::string& chain_id) const {
    return layers_dir_ + "/" + digest_hex(chain_id) + "/diff";
}

uint64_t LayerStore::size_of(const std::string& chain_id) const {
    std::string path = layers_dir_ + "/" + digest_hex(chain_id) + "/layer.json";
    auto record = nlohmann::json::parse(read_file(path), nullptr, false);
    if (!record.is_object() || !record.contains("size") || !record["size"].is_number_unsigned())
        throw Error("layer " + chain_id + ": malformed record " + path);
    return record["size"].get<uint64_t>();
}

LayerStore::Pending::Pending(Pending&& other) noexcept : directory_(std::exchange(other.directory_, {})) {}

LayerStore::Pending::~Pending() {
    if (directory_.empty()) return;
    try {
        remove_tree(directory_);
    } catch (const Error&) {
        // Left for remove_stale_temporaries: its name carries our pid.
    }
}

LayerStore::Pending LayerStore::begin(const std::string& chain_id) {
    make_directories(layers_dir_, 0700);
    std::string prefix =
        std::string(temporary_prefix) + std::to_string(::getpid()) + "-" + digest_hex(chain_id).substr(0, 12) + "-";
    std::string pattern = layers_dir_ + "/" + prefix + "XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw_last_errno("create a layer directory in " + layers_dir_);
    Pending pending(pattern);
    make_directories(pending.diff_path(), 0755);
    return pending;
}

void LayerStore::commit(Pending& pending, const std::string& chain_id, const std::string& diff_id,
                        const std::string& blob_digest, uint64_t size) {
    nlohmann::json record = {{"chain_id", chain_id}, {"diff_id", diff_id}, {"digest", blob_digest}, {"size", size}};
    write_file_atomic(pending.directory_ + "/layer.json", record.dump() + "\n", 0600);
    std::string target = layers_dir_ + "/" + digest_hex(chain_id);
    if (::rename(pending.directory_.c_str(), target.c_str()) == 0) {
        pending.directory_.clear();
        return;
    }
    if ((errno == EEXIST || errno == ENOTEMPTY) && contains(chain_id)) return;  // another pull was first
    throw_last_errno("store layer " + chain_id + " in " + target);
}

void LayerStore::remove(const std::string& chain_id) { remove_tree(layers_dir_ + "/" + digest_hex(chain_id)); }

std::vector<std::string> LayerStore::list() const {
    std::vector<std::string> chain_ids;
    for (const auto& name : list_directory(layers_dir_))
        if (!name.starts_with(temporary_prefix)) chain_ids.push_back("sha256:" + name);
    return chain_ids;
}

void LayerStore::remove_stale_temporaries() {
    for (const auto& name : list_directory(layers_dir_)) {
        if (!name.starts_with(temporary_prefix)) continue;
        auto pid = parse_unsigned(split(name.substr(temporary_prefix.size()), '-').front());
        if (pid && process_alive(static_cast<pid_t>(*pid))) continue;
        // Claim it first: of several processes cleaning up at once, one wins the rename.
        std::string claimed = layers_dir_ + "/" + std::string(temporary_prefix) + std::to_string(::getpid()) +
                              "-stale-" + name.substr(temporary_prefix.size());
        if (::rename((layers_dir_ + "/" + name).c_str(), claimed.c_str()) != 0) continue;
        remove_tree(claimed);
    }
}

}  // namespace berth::storage
