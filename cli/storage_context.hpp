// The storage locations a command works on, and the user namespace that rootless writes need.
#pragma once

#include <functional>
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

// Runs `work` where the storage's files can be written: for root in this process; rootless in a forked child
// that enters the user namespace (this process stays outside, free to start containers), whose result or Error
// (message and exit status) comes back through a pipe. Returns what `work` returned. Call it with no other
// threads running.
std::string run_with_storage_ids(const StorageContext& storage, const std::function<std::string()>& work);

// Removes a directory tree of the storage (a container's): first as the caller, then, rootless, inside the user
// namespace when files of subordinate ids are in the way.
void remove_storage_tree(const StorageContext& storage, const std::string& path);

}  // namespace berth::cli
