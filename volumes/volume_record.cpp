#include "volumes/volume_record.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "volumes/volume_name.hpp"

namespace berth::volumes {

using nlohmann::json;

std::string encode_volume_record(const VolumeRecord& record) {
    json out = {{"name", record.name},
                {"driver", record.driver},
                {"created_ns", record.created_ns},
                {"labels", record.labels},
                {"options", record.options},
                {"anonymous", record.anonymous},
                {"needs_copy_up", record.needs_copy_up},
                {"needs_chown", record.needs_chown}};
    return out.dump();
}

VolumeRecord decode_volume_record(std::string_view text, const std::string& path) {
    json in = json::parse(text, nullptr, false);
    if (in.is_discarded() || !in.is_object()) throw Error("volume record " + path + ": not a JSON object");
    VolumeRecord record;
    try {
        record.name = in.at("name").get<std::string>();
        record.driver = in.value("driver", record.driver);
        record.created_ns = in.value("created_ns", record.created_ns);
        record.labels = in.value("labels", record.labels);
        record.options = in.value("options", record.options);
        record.anonymous = in.value("anonymous", record.anonymous);
        record.needs_copy_up = in.value("needs_copy_up", record.needs_copy_up);
        record.needs_chown = in.value("needs_chown", record.needs_chown);
    } catch (const json::exception& error) {
        throw Error("volume record " + path + ": " + error.what());
    }
    if (!valid_volume_name(record.name))
        throw Error("volume record " + path + ": invalid name \"" + record.name + "\"");
    return record;
}

}  // namespace berth::volumes
