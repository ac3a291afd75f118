// berth's entry point: builds the command tree, parses, runs the command, maps errors to exit codes.
#pragma once

#include <memory>

#include "cli/command_tree.hpp"
#include "cli/global_options.hpp"

namespace berth::cli {

// The whole command tree, with the global options bound to `globals`.
// The whole command tree, or (with `only`) the root and that one top-level command.
std::unique_ptr<CommandTree> build_command_tree(GlobalOptions& globals, const std::string& only = "");

// Runs berth with a command line; returns the process exit status.
int run_berth(int argc, char** argv);

}  // namespace berth::cli
