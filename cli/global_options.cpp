#include "cli/global_options.hpp"

#include <filesystem>

namespace berth::cli {
namespace {

std::optional<std::string> absolute_or_nothing(const std::string& path) {
    if (path.empty()) return std::nullopt;
    return std::filesystem::absolute(path).lexically_normal().string();
}

}  // namespace

std::optional<std::string> GlobalOptions::root_override() const { return absolute_or_nothing(root); }

std::optional<std::string> GlobalOptions::runroot_override() const { return absolute_or_nothing(runroot); }

std::optional<storage::RootfsDriver> GlobalOptions::driver_override() const {
    if (storage_driver.empty()) return std::nullopt;
    return storage::parse_rootfs_driver(storage_driver);
}

}  // namespace berth::cli
