// The layer cache of `berth build`: a step's key (its parent's key, its instruction, the build args it uses and,
// for COPY and ADD, the digest of what it copies) names the intermediate image it made. The images are ordinary
// images of the store without names, so `image prune` removes them and their entries stop counting.
#pragma once

#include <optional>
#include <string>

#include "storage/image_store.hpp"

namespace berth::builder {

class BuildCache {
public:
    explicit BuildCache(const std::string& graph_root);

    // The image recorded for the key, when it is still in the store.
    std::optional<storage::ImageRecord> find(const std::string& key) const;
    // Records (atomically) that the key made the image.
    void put(const std::string& key, const std::string& image_id) const;

    // The key of a step: "sha256:..." over the parent's key and the step's own text.
    static std::string step_key(const std::string& parent_key, const std::string& step);

private:
    std::string graph_root_;
    std::string directory_;
};

}  // namespace berth::builder
