#include "builder/build_cache.hpp"

#include "common/digest.hpp"
#include "common/files.hpp"

namespace berth::builder {

BuildCache::BuildCache(const std::string& graph_root)
    : graph_root_(graph_root), directory_(graph_root + "/build-cache") {}

std::optional<storage::ImageRecord> BuildCache::find(const std::string& key) const {
    auto id = read_file_if_exists(directory_ + "/" + key.substr(key.find(':') + 1));
    if (!id || id->empty()) return std::nullopt;
    auto image = storage::ImageStore(graph_root_).find(*id);
    if (!image || image->id != *id) return std::nullopt;
    return image;
}

void BuildCache::put(const std::string& key, const std::string& image_id) const {
    make_directories(directory_, 0700);
    write_file_atomic(directory_ + "/" + key.substr(key.find(':') + 1), image_id);
}

std::string BuildCache::step_key(const std::string& parent_key, const std::string& step) {
    return sha256_digest(parent_key + "\n" + step);
}

}  // namespace berth::builder
