// The containers a command acts on, named as Podman's container commands name them: NAME|ID... arguments,
// --all, --latest, --cidfile FILE and --ignore. Resolution happens before anything is done: a name that
// matches no container fails the whole command (unless --ignore), as in Podman.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/command_tree.hpp"
#include "storage/container_store.hpp"

namespace berth::cli {

struct TargetOptions {
    std::vector<std::string> names;     // NAME|ID arguments
    std::vector<std::string> cidfiles;  // --cidfile files, each holding a container id
    bool all = false, latest = false, ignore = false;
};

// How one command reads its targets.
struct TargetRules {
    std::string command;             // "rm", for Podman's messages
    int missing_status = 125;        // the exit status of "no such container" (rm: 1)
    std::string none_given_message;  // the error without names, --all, --latest or --cidfile
    // Which containers --all takes (all of them without it).
    std::function<bool(const storage::ContainerRecord&)> all_takes;
};

// A container to act on and the word printed when the command succeeds on it (the name as typed; the
// full id for --all, --latest and --cidfile).
struct Target {
    storage::ContainerRecord record;
    std::string shown;
};

// The reconciled records the options name, in the order named. Throws Error with Podman's messages:
// "--all and --latest cannot be used together", "no arguments are needed with --all", "reading CIDFile:
// open F: no such file or directory", `no container with name or ID "x" found: no such container`.
std::vector<Target> resolve_targets(const std::string& graph_root, const TargetOptions& options,
                                    const TargetRules& rules);

// Runs `action` on each target; prints its `shown` word on success (with `print_shown`), "Error: ..." on
// failure. Returns 0, or the highest exit status of the failures.
int for_each_target(const std::vector<Target>& targets, const std::function<void(const Target&)>& action,
                    bool print_shown = true);

// Adds the target flags Podman has on a command: the NAME arguments, and --all, --latest, --cidfile and
// --ignore where asked for.
struct TargetFlagSet {
    bool all = false, latest = false, cidfile = false, ignore = false;
    std::string all_help = "Act on all containers";
};
void add_target_flags(CLI::App& command, TargetOptions& options, const TargetFlagSet& set);

}  // namespace berth::cli
