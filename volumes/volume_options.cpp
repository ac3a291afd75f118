#include "volumes/volume_options.hpp"

#include <sys/stat.h>

#include <set>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace berth::volumes {

std::map<std::string, std::string> parse_volume_options(const std::vector<std::string>& given) {
    static const std::set<std::string> known = {"type", "device", "o",   "uid", "gid",  "size",   "inodes", "noquota",
                                                "copy", "nocopy", "UID", "GID", "SIZE", "INODES", "NOQUOTA"};
    std::map<std::string, std::string> options;
    for (const auto& option : given) {
        auto equals = option.find('=');
        std::string key = option.substr(0, equals);
        std::string value = equals == std::string::npos ? "" : option.substr(equals + 1);
        if (!known.count(key)) throw Error("invalid mount option " + key + " for driver 'local': invalid argument");
        options[key] = value;
    }
    if (auto device = options.find("device"); device != options.end()) {
        auto type = options.find("type");
        bool bind = type == options.end() || type->second == "bind" || type->second == "none";
        struct stat status {};
        if (bind && ::stat(device->second.c_str(), &status) != 0)
            throw Error("invalid volume option device for driver 'local': stat " + device->second + ": " +
                        errno_text(errno));
    }
    return options;
}

std::optional<DeviceMount> device_mount_of(const std::map<std::string, std::string>& options) {
    auto type = options.find("type");
    auto device = options.find("device");
    auto flags = options.find("o");
    DeviceMount mount;
    if (flags != options.end())
        for (auto& option : split(flags->second, ','))
            if (!option.empty()) mount.options.push_back(option);
    if (type != options.end() && type->second == "tmpfs") {
        mount.type = "tmpfs";
        mount.source = "tmpfs";
        return mount;
    }
    if (device == options.end()) return std::nullopt;
    mount.type = "bind";
    mount.source = device->second;
    return mount;
}

}  // namespace berth::volumes
