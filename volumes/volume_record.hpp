// A volume's record, <graph root>/volumes/<name>/volume.json, and its JSON form.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace berth::volumes {

struct VolumeRecord {
    std::string name;
    std::string driver = "local";
    int64_t created_ns = 0;                      // unix time in nanoseconds
    std::map<std::string, std::string> labels;   // --label
    std::map<std::string, std::string> options;  // --opt: type, device, o (see volume_options.hpp)
    bool anonymous = false;                      // made for one container (-v /path, an image's VOLUME)
    bool needs_copy_up = true;                   // the image's content at the mount point has not been copied in
    bool needs_chown = true;                     // the data directory has not taken the mount point's owner yet

    bool operator==(const VolumeRecord&) const = default;
};

std::string encode_volume_record(const VolumeRecord& record);

// Throws Error("volume record <path>: <why>") for anything but a record with a valid name.
VolumeRecord decode_volume_record(std::string_view text, const std::string& path);

}  // namespace berth::volumes
