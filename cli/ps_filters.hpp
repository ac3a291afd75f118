// ps --filter KEY=VALUE, as Podman reads it: id, name, label, status, exited, ancestor, before,
// since and pod (a pod id prefix: the caller turns pod names into ids first). Values of one key are or-ed (label values
// are and-ed, as in Podman), different keys and-ed.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "storage/container_store.hpp"

namespace berth::cli {

struct PsFilter {
    std::map<std::string, std::vector<std::string>> values;  // key -> its values, in the order given
    bool empty() const { return values.empty(); }
};

// Parses the --filter values; throws Error with Podman's messages ("nope is an invalid filter",
// "invalid filter \"name\"", "unknown container state: nope: invalid argument").
PsFilter parse_ps_filters(const std::vector<std::string>& filters);

// Whether `record` passes `filter`; `all` resolves the containers that before= and since= name.
bool ps_filter_matches(const PsFilter& filter, const storage::ContainerRecord& record,
                       const std::vector<storage::ContainerRecord>& all);

}  // namespace berth::cli
