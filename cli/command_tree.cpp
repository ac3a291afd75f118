#include "cli/command_tree.hpp"

#include <algorithm>

namespace berth::cli {

CommandTree::CommandTree(const std::string& summary, CommandHelp root_help) : root_(summary, "berth") {
    help_[&root_] = std::move(root_help);
}

CLI::App& CommandTree::add_command(CLI::App& parent, const std::string& name, const std::string& summary,
                                   CommandHelp help, Action action) {
    CLI::App* command = parent.add_subcommand(name, summary);
    command->fallthrough();
    help_[command] = std::move(help);
    if (action) actions_[command] = std::move(action);
    return *command;
}

CLI::App& CommandTree::add_raw_command(const std::string& name, const std::string& summary, CommandHelp help,
                                       RawAction action) {
    raw_actions_[name] = std::move(action);
    return add_command(root_, name, summary, std::move(help), nullptr);
}

const RawAction* CommandTree::raw_action(const std::string& name) const {
    auto found = raw_actions_.find(name);
    return found == raw_actions_.end() ? nullptr : &found->second;
}

void CommandTree::set_choices(CLI::Option* option, std::vector<std::string> choices) {
    auto allowed = choices;
    option->check(CLI::Validator(
        [allowed](std::string& value) -> std::string {
            if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return {};
            std::string list;
            for (const auto& choice : allowed) list += (list.empty() ? "" : ", ") + choice;
            return "\"" + value + "\" is not one of " + list;
        },
        "", ""));
    choices_[option] = std::move(choices);
}

void CommandTree::set_value_kind(const CLI::Option* option, ValueKind kind) { value_kinds_[option] = kind; }

std::vector<std::pair<std::string, std::string>> CommandTree::names(ValueKind kind,
                                                                    const std::vector<std::string>& words) const {
    if (!name_source_) return {};
    try {
        return name_source_(kind, words);
    } catch (const std::exception&) {
        return {};  // completion never fails loudly
    }
}

const CommandHelp& CommandTree::help(const CLI::App& command) const {
    static const CommandHelp none;
    auto found = help_.find(&command);
    return found == help_.end() ? none : found->second;
}

const Action* CommandTree::action(const CLI::App& command) const {
    auto found = actions_.find(&command);
    return found == actions_.end() ? nullptr : &found->second;
}

std::vector<std::string> CommandTree::choices(const CLI::Option& option) const {
    auto found = choices_.find(&option);
    return found == choices_.end() ? std::vector<std::string>{} : found->second;
}

ValueKind CommandTree::value_kind(const CLI::Option& option) const {
    auto found = value_kinds_.find(&option);
    return found == value_kinds_.end() ? ValueKind::none : found->second;
}

std::string CommandTree::path_of(const CLI::App& command) {
    std::string path = command.get_name();
    for (const CLI::App* parent = command.get_parent(); parent != nullptr; parent = parent->get_parent())
        path = parent->get_name() + " " + path;
    return path;
}

std::vector<const CLI::App*> CommandTree::visible_commands(const CLI::App& parent) {
    return parent.get_subcommands([](const CLI::App* command) { return !command->get_group().empty(); });
}

std::vector<const CLI::Option*> CommandTree::visible_options(const CLI::App& command) {
    const CLI::Option* help_flag = command.get_help_ptr();
    return command.get_options([help_flag](const CLI::Option* option) {
        return option != help_flag && option->nonpositional() && !option->get_group().empty();
    });
}

bool CommandTree::takes_value(const CLI::Option& option) { return option.get_expected_max() > 0; }

std::string CommandTree::option_names(const CLI::Option& option) {
    std::string names;
    for (const auto& short_name : option.get_snames()) names += "-" + short_name + ", ";
    for (const auto& long_name : option.get_lnames()) names += "--" + long_name + ", ";
    if (!names.empty()) names.resize(names.size() - 2);
    return names;
}

}  // namespace berth::cli
