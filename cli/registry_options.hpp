// Options that the commands talking to registries share: --tls-verify and --authfile.
#pragma once

#include <optional>
#include <string>

#include "cli/command_tree.hpp"
#include "common/error.hpp"

namespace berth::cli {

// --tls-verify[=true|false]; the value stays a string so that a bare --tls-verify means true.
inline void add_tls_verify_option(CommandTree& tree, CLI::App& command, std::string& value) {
    tree.set_choices(
        command.add_option("--tls-verify", value, "Require HTTPS and verify certificates (false: plain HTTP)")
            ->expected(0, 1)
            ->default_str("true"),
        {"true", "false"});
}

inline bool parse_bool_flag(const std::string& name, const std::string& value) {
    if (value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    throw Error("invalid value \"" + value + "\" for --" + name + ": expected true or false");
}

// The same for a flag whose absence means something of its own (an empty value: not given).
inline std::optional<bool> parse_optional_bool_flag(const std::string& name, const std::string& value) {
    if (value.empty()) return std::nullopt;
    return parse_bool_flag(name, value);
}

// --authfile FILE (also $REGISTRY_AUTH_FILE).
inline void add_authfile_option(CommandTree& tree, CLI::App& command, std::string& value) {
    tree.set_value_kind(command.add_option("--authfile", value,
                                           "Path of the authentication file (default: $REGISTRY_AUTH_FILE, "
                                           "else the user's containers/auth.json)"),
                        ValueKind::files);
}

}  // namespace berth::cli
