// `berth history` / `berth image history`: an image's history entries joined with its layers.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/command_tree.hpp"
#include "cli/global_options.hpp"

namespace berth::cli {

// One history entry, newest first as Podman lists them.
struct HistoryRow {
    std::string id;       // the image id (64 hex) on the newest row, "<missing>" on the others
    std::string created;  // RFC 3339 as in the config, possibly with a fraction
    std::string created_by;
    std::string comment;
    uint64_t size = 0;  // the bytes of the layer this entry made, 0 for an empty_layer entry
};

// The rows of an image: its config's `history` (entries with empty_layer make no layer; the others
// take the image's layers in order, bottom first). A config without history gets one row per layer,
// dated with the image. `layer_sizes` is bottom first; `image_hex` the image id without "sha256:".
std::vector<HistoryRow> history_rows(const nlohmann::json& config, const std::vector<uint64_t>& layer_sizes,
                                     const std::string& image_hex);

// Adds `history` (to the root) or `image history` (under `image`).
void add_history_command(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals);

}  // namespace berth::cli
