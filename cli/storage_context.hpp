// The storage locations a command works on, and the user namespace that rootless writes need.
#pragma once

#include <string>

#include "cli/global_options.hpp"

namespace berth::cli {

struct StorageContext {
    std::string graph_root;
    std::string run_root;
    bool rootless = false;
};

// Resolves --root/--runroot and the defaults, creating the graph root. With `will_write` and
// rootless, the process then enters a user namespace mapped from the user's subordinate ids, so
// that image files can belong to the container's users. Call it before starting any thread.
StorageContext open_storage(const GlobalOptions& globals, bool will_write);

}  // namespace berth::cli
