// The local driver's options (volume create --opt): checked as Podman checks them, and what they mean when a
// container mounts the volume.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace berth::volumes {

// Checks --opt KEY=VALUE pairs for the local driver (type, device, o, and Podman's uid, gid, size, inodes,
// noquota, copy, nocopy) and returns them as a map. Podman's Errors: "invalid mount option KEY for driver
// 'local': invalid argument"; a bind's device must exist.
std::map<std::string, std::string> parse_volume_options(const std::vector<std::string>& given);

// A volume with type= mounts something else than its data directory: tmpfs (type=tmpfs, o= its options) or a
// bind of device= (type=bind or none, o= its options). Nothing for a plain volume.
struct DeviceMount {
    std::string type;  // "tmpfs" or "bind"
    std::string source;
    std::vector<std::string> options;  // the o= options, split at commas
};
std::optional<DeviceMount> device_mount_of(const std::map<std::string, std::string>& options);

}  // namespace berth::volumes
