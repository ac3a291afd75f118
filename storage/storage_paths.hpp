// Where berth keeps images, layers and containers (graph root) and runtime state (run root).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace berth::storage {

// What the storage locations depend on, read once from the process environment.
struct PathEnvironment {
    uid_t uid = 0;
    std::string home;
    std::optional<std::string> xdg_data_home;
    std::optional<std::string> xdg_runtime_dir;

    static PathEnvironment from_process();
};

struct StoragePaths {
    std::string graph_root;
    std::string run_root;
    // Why the run root is not under $XDG_RUNTIME_DIR, when it is not (rootless only).
    std::string run_root_note;
};

// Podman's rules: root uses /var/lib/berth and /run/berth; everyone else
// $XDG_DATA_HOME/berth (default ~/.local/share/berth) and $XDG_RUNTIME_DIR/berth, falling back to
// /tmp/berth-run-<uid> when $XDG_RUNTIME_DIR is unset or not a private directory of the user.
// --root and --runroot (the overrides) win over all of it.
StoragePaths default_storage_paths(const PathEnvironment& env, const std::optional<std::string>& root_override,
                                   const std::optional<std::string>& runroot_override);

// Why a runtime directory cannot be used by this uid (empty when it can): it must be an existing
// directory, not a symlink, owned by the uid and not writable by group or others.
std::string runtime_dir_problem(const std::string& path, uid_t uid);

}  // namespace berth::storage
