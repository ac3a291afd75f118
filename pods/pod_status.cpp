#include "pods/pod_status.hpp"

#include <algorithm>

namespace berth::pods {

std::string pod_status(const std::vector<std::string>& states) {
    if (states.empty()) return "Created";
    auto count = [&](const char* state) {
        return static_cast<std::size_t>(std::count(states.begin(), states.end(), state));
    };
    std::size_t total = states.size();
    std::size_t exited = count("exited"), stopped = count("stopped");
    if (count("running") == total) return "Running";
    if (count("paused") == total) return "Paused";
    if (count("created") == total) return "Created";
    if (exited + stopped == total) return exited > 0 ? "Exited" : "Stopped";
    if (count("running") > 0 || count("paused") > 0) return "Degraded";
    if (exited + stopped + count("created") == total) return "Exited";
    return "Error";
}

}  // namespace berth::pods
