// newuidmap/newgidmap: found, and able to write id maps (setuid root or file capabilities)?
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::rootless {

struct IdMapHelper {
    std::string name;                 // "newuidmap" or "newgidmap"
    std::optional<std::string> path;  // where it was found in $PATH
    bool usable = false;
    std::string problem;  // why it is not usable, with the remedy; empty when usable
};

// Checks a helper binary: it must be owned by root and either setuid or carry the capability
// it needs (CAP_SETUID for newuidmap, CAP_SETGID for newgidmap) in its permitted file set.
IdMapHelper check_id_map_helper(std::string_view name);

}  // namespace berth::rootless
