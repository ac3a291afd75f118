#include "engine/rootfs_choice.hpp"

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "storage/overlay_probe.hpp"

namespace berth::engine {
namespace {

constexpr const char* choice_file = "/rootfs-driver";

storage::RootfsDriver usable(storage::RootfsDriver driver) {
    if (driver != storage::RootfsDriver::fuse_overlayfs) return driver;
    log_warning("fuse-overlayfs is not used for containers yet; copying the image with the vfs driver instead");
    return storage::RootfsDriver::vfs;
}

}  // namespace

storage::RootfsDriver container_rootfs_driver(const std::string& graph_root, bool rootless,
                                              std::optional<storage::RootfsDriver> forced) {
    if (forced) {
        if (*forced == storage::RootfsDriver::fuse_overlayfs)
            throw Error(
                "--storage-driver fuse-overlayfs: containers cannot use fuse-overlayfs yet (use overlay or "
                "vfs)");
        return *forced;
    }
    std::string path = graph_root + choice_file;
    if (auto kept = read_file_if_exists(path))
        if (auto driver = storage::parse_rootfs_driver(trim(*kept))) return usable(*driver);
    storage::DriverProbes probes;
    probes.overlay_problem = storage::overlay_mount_problem(graph_root, rootless);
    if (!probes.overlay_problem.empty()) probes.fuse_overlayfs_problem = storage::fuse_overlayfs_problem();
    auto choice = storage::choose_rootfs_driver(probes, rootless, std::nullopt);
    write_file_atomic(path, std::string(storage::driver_name(choice.driver)) + "\n", 0600);
    return usable(choice.driver);
}

}  // namespace berth::engine
