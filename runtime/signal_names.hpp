// Signal names and numbers as runtimes and images write them.
#pragma once

#include <string_view>

namespace berth::runtime {

// "SIGTERM", "TERM", "term", "15", "SIGRTMIN+3", "RTMAX-1"; throws Error("invalid signal \"X\"").
int parse_signal(std::string_view name);

}  // namespace berth::runtime
