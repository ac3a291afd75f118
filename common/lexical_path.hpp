// Paths cleaned by their text alone, as Docker and containers-storage clean archive member names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// The components of `name` with a leading "/", "." and empty components dropped and each ".." folded into its
// parent; nothing when a ".." climbs above the root. "a/./b/../c" -> {"a", "c"}.
std::optional<std::vector<std::string>> lexical_components(std::string_view name);

}  // namespace berth
