// The one definition of berth's commands: CLI11 parses with it, and help, man pages and shell
// completion are all generated from it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

// What a positional argument or an option value completes to.
enum class ValueKind { none, files, directories, commands, shells, containers, images };

// Names of containers or images for completion, from the storage the completed words point at (--root).
using NameSource = std::function<std::vector<std::pair<std::string, std::string>>(
    ValueKind kind, const std::vector<std::string>& words)>;

struct CommandHelp {
    std::string usage;        // the synopsis after the command path, e.g. "[options] bash|zsh|fish"
    std::string description;  // the long description; paragraphs separated by blank lines
    std::vector<std::string> examples;
    ValueKind arguments = ValueKind::none;  // what the positional arguments complete to
};

// Runs a parsed command; returns the exit status.
using Action = std::function<int()>;

// Runs a command that takes the rest of the command line as it is (help, __complete).
using RawAction = std::function<int(const std::vector<std::string>& words)>;

class CommandTree {
public:
    CommandTree(const std::string& summary, CommandHelp root_help);

    // Builds only the top-level command `name` (and the root's options): a command line that names one command
    // needs no other, and building them all costs start-up time. Help, completion and man pages build all.
    void build_only(std::string name) { only_ = std::move(name); }
    // Whether the top-level command `name` is to be built.
    bool wants(std::string_view name) const { return only_.empty() || only_ == name; }
    // Whether a command `name` under `parent` is left out: a top-level command other than the one to build.
    bool skips(const CLI::App& parent, std::string_view name) const { return &parent == &root_ && !wants(name); }

    CLI::App& root() { return root_; }
    const CLI::App& root() const { return root_; }

    CLI::App& add_command(CLI::App& parent, const std::string& name, const std::string& summary, CommandHelp help,
                          Action action);

    // A command directly under the root whose words are not parsed as options: `berth NAME WORDS...`.
    CLI::App& add_raw_command(const std::string& name, const std::string& summary, CommandHelp help, RawAction action);
    const RawAction* raw_action(const std::string& name) const;

    // Restricts an option to a list of values (checked when parsing) that completion offers.
    void set_choices(CLI::Option* option, std::vector<std::string> choices);
    // Choices offered by completion only; the command checks the value itself.
    void set_completion_choices(CLI::Option* option, std::vector<std::string> choices) {
        choices_[option] = std::move(choices);
    }
    // Says what an option's value completes to (files, directories, ...).
    void set_value_kind(const CLI::Option* option, ValueKind kind);

    void set_name_source(NameSource source) { name_source_ = std::move(source); }
    // {name, description} pairs of containers or images; none without a source or on any error.
    std::vector<std::pair<std::string, std::string>> names(ValueKind kind, const std::vector<std::string>& words) const;

    const CommandHelp& help(const CLI::App& command) const;
    const Action* action(const CLI::App& command) const;
    std::vector<std::string> choices(const CLI::Option& option) const;
    ValueKind value_kind(const CLI::Option& option) const;

    // "berth", "berth info", ...
    static std::string path_of(const CLI::App& command);
    // The commands a user sees under `parent` (hidden ones left out), in the order they were added.
    static std::vector<const CLI::App*> visible_commands(const CLI::App& parent);
    // The options a user sees on `command` (help and hidden ones left out).
    static std::vector<const CLI::Option*> visible_options(const CLI::App& command);
    // Whether an option takes a value (as opposed to a flag).
    static bool takes_value(const CLI::Option& option);
    // "-f, --format" style name list.
    static std::string option_names(const CLI::Option& option);

private:
    CLI::App root_;
    std::map<const CLI::App*, CommandHelp> help_;
    std::map<const CLI::App*, Action> actions_;
    std::map<std::string, RawAction> raw_actions_;
    std::map<const CLI::Option*, std::vector<std::string>> choices_;
    std::map<const CLI::Option*, ValueKind> value_kinds_;
    std::string only_;
    NameSource name_source_;
};

}  // namespace berth::cli
