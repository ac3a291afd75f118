#include "storage/container_diff.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "storage/layer_store.hpp"

namespace berth::storage {

bool is_mount_point_path(const std::string& path) {
    static constexpr std::array<std::string_view, 11> paths = {
        "/dev",  "/etc/hostname", "/etc/hosts",         "/etc/mtab",   "/etc/resolv.conf",
        "/proc", "/run",          "/run/.containerenv", "/run/notify", "/run/secrets",
        "/sys"};
    return std::find(paths.begin(), paths.end(), path) != paths.end();
}

ContainerTrees container_trees(const std::string& graph_root, const ContainerRecord& record) {
    LayerStore layers(graph_root);
    std::vector<std::string> lower;
    for (const auto& chain_id : record.layers) lower.push_back(layers.diff_path(chain_id));
    auto paths = ContainerStore(graph_root).paths_of(record.id);
    ContainerTrees trees;
    trees.image = merged_view(lower);
    if (record.driver == "vfs") {
        trees.container = merged_view({paths.rootfs});
        trees.changes = copied_tree_changes(trees.image, trees.container);
    } else {
        trees.container = trees.image;
        apply_layer(trees.container, paths.upper);
        trees.changes = overlay_changes(trees.image, trees.container, paths.upper);
    }
    std::erase_if(trees.changes, [](const Change& change) { return is_mount_point_path(change.path); });
    trees.changes = with_parent_directories(trees.changes, trees.image, trees.container);
    return trees;
}

std::vector<Change> image_layer_changes(const std::string& graph_root, const std::vector<std::string>& layers) {
    if (layers.empty()) return {};
    LayerStore store(graph_root);
    std::vector<std::string> lower;
    for (size_t index = 0; index + 1 < layers.size(); ++index) lower.push_back(store.diff_path(layers[index]));
    std::string top = store.diff_path(layers.back());
    TreeView before = merged_view(lower);
    TreeView after = before;
    apply_layer(after, top);
    return with_parent_directories(overlay_changes(before, after, top), before, after);
}

}  // namespace berth::storage
