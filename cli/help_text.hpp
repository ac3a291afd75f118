// Podman-style --help text, generated from the command tree.
#pragma once

#include <string>

#include "cli/command_tree.hpp"

namespace berth::cli {

std::string format_help(const CommandTree& tree, const CLI::App& command);

// The synopsis of a command: "berth info [options]".
std::string usage_line(const CommandTree& tree, const CLI::App& command);

// The word shown after an option that takes a value: "string", "int", "uint", ...
std::string value_label(const CLI::Option& option);

// The option's description with its default, if it has one: `... (default "x")`.
std::string option_description(const CLI::Option& option);

}  // namespace berth::cli
