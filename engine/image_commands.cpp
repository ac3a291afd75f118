#include "engine/image_commands.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "registry/reference.hpp"
#include "storage/blob_store.hpp"
#include "storage/layer_store.hpp"

namespace berth::engine {
namespace {

void collect_garbage(const std::string& graph_root, const storage::ImageStore& images) {
    auto used_layers = images.referenced_layers();
    storage::LayerStore layers(graph_root);
    for (const auto& chain_id : layers.list())
        if (!used_layers.contains(chain_id)) layers.remove(chain_id);
    auto used_blobs = images.referenced_blobs();
    storage::BlobStore blobs(graph_root);
    for (const auto& digest : blobs.list())
        if (!used_blobs.contains(digest)) blobs.remove(digest);
}

}  // namespace

std::string normalized_image_name(const std::string& text) {
    auto reference = registry::normalize_reference(registry::parse_reference(text));
    return reference.to_string();
}

std::vector<storage::ImageRecord> list_images(const std::string& graph_root) {
    auto records = storage::ImageStore(graph_root).list();
    std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
        return a.created != b.created ? a.created > b.created : a.id < b.id;
    });
    return records;
}

storage::ImageRecord resolve_image(const std::string& graph_root, const std::string& text) {
    storage::ImageStore images(graph_root);
    if (auto found = images.find(text)) return *found;
    try {
        if (auto found = images.find(normalized_image_name(text))) return *found;
    } catch (const Error&) {
        // Not a valid name either: report it as unknown below.
    }
    throw Error(text + ": image not known");
}

void tag_image(const std::string& graph_root, const std::string& image, const std::string& new_name) {
    auto record = resolve_image(graph_root, image);
    storage::ImageStore(graph_root).add_name(record.id, normalized_image_name(new_name));
}

RemovedImage remove_image(const std::string& graph_root, const std::string& text) {
    storage::ImageStore images(graph_root);
    auto record = resolve_image(graph_root, text);
    RemovedImage removed;
    std::string name;
    try {
        name = normalized_image_name(text);
    } catch (const Error&) {
    }
    bool by_name = std::find(record.names.begin(), record.names.end(), name) != record.names.end();
    if (by_name && record.names.size() > 1) {
        images.remove_name(name);
        removed.untagged.push_back(name);
        return removed;
    }
    images.remove(record.id);
    removed.untagged = record.names;
    removed.deleted = record.id;
    collect_garbage(graph_root, images);
    return removed;
}

}  // namespace berth::engine
