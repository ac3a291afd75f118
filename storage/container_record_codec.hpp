// A container record as its file holds it: container.json, one JSON object whose keys are the record's fields
// (absent keys take their defaults, unknown keys are ignored, so records of older and newer berths read).
// Reading streams the text through nlohmann's SAX parser into the record: `ps` reads every record, and building a
// JSON document first costs more than all the rest of `ps -a` together.
#pragma once

#include <string>
#include <string_view>

#include "storage/container_store.hpp"

namespace berth::storage {

std::string encode_container_record(const ContainerRecord& record);

// Throws Error naming what is wrong (bad JSON, a field of the wrong type, a missing or malformed id or name).
ContainerRecord decode_container_record(std::string_view text);

}  // namespace berth::storage
