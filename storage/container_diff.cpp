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

}  // namespace berth::storage
