// `image|container|volume|network exists NAME`: exit status 0 when it is there, 1 when not, no output
// (Podman's contract for scripts).
#pragma once

#include <functional>
#include <string>

#include "cli/command_tree.hpp"
#include "cli/global_options.hpp"
#include "cli/storage_context.hpp"

namespace berth::cli {

struct ExistsCommand {
    std::string noun;     // "volume": the argument's name, the help text and the summary
    std::string example;  // "berth volume exists data"
    ValueKind arguments = ValueKind::none;
    std::function<bool(const StorageContext& storage, const std::string& name)> found;
};

// Adds `exists` under `parent` and returns it (for flags of its own).
CLI::App& add_exists_command(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals, ExistsCommand command);

}  // namespace berth::cli
