#include "cli/help_text.hpp"

#include <algorithm>
#include <sstream>

namespace berth::cli {
namespace {

void add_section(std::ostringstream& out, const std::string& title, const std::vector<std::string>& lines) {
    if (lines.empty()) return;
    out << "\n" << title << ":\n";
    for (const auto& line : lines) out << "  " << line << "\n";
}

std::vector<std::string> description_lines(const std::string& description) {
    std::vector<std::string> lines;
    std::istringstream in(description);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<std::string> command_rows(const CLI::App& command) {
    auto commands = CommandTree::visible_commands(command);
    size_t width = 0;
    for (const auto* sub : commands) width = std::max(width, sub->get_name().size());
    std::vector<std::string> rows;
    for (const auto* sub : commands) {
        std::string name = sub->get_name();
        rows.push_back(name + std::string(width - name.size() + 3, ' ') + sub->get_description());
    }
    return rows;
}

std::string option_left_column(const CLI::Option& option) {
    std::string left = option.get_snames().empty() ? "    " : "";
    left += CommandTree::option_names(option);
    if (CommandTree::takes_value(option)) left += " " + value_label(option);
    return left;
}

std::vector<std::string> option_rows(const CLI::App& command) {
    auto options = CommandTree::visible_options(command);
    std::vector<std::pair<std::string, std::string>> cells;
    for (const auto* option : options) cells.emplace_back(option_left_column(*option), option_description(*option));
    cells.emplace_back("-h, --help", "help for " + command.get_name());
    size_t width = 0;
    for (const auto& cell : cells) width = std::max(width, cell.first.size());
    std::vector<std::string> rows;
    for (const auto& [left, right] : cells) rows.push_back(left + std::string(width - left.size() + 3, ' ') + right);
    return rows;
}

}  // namespace

std::string value_label(const CLI::Option& option) {
    std::string type = option.get_type_name();
    std::string label = type.find("UINT") != std::string::npos    ? "uint"
                        : type.find("INT") != std::string::npos   ? "int"
                        : type.find("FLOAT") != std::string::npos ? "float"
                                                                  : "string";
    if (option.get_items_expected_max() > 1) label += "Array";
    return label;
}

std::string option_description(const CLI::Option& option) {
    std::string text = option.get_description();
    const std::string& fallback = option.get_default_str();
    if (CommandTree::takes_value(option) && !fallback.empty()) text += " (default \"" + fallback + "\")";
    return text;
}

std::string usage_line(const CommandTree& tree, const CLI::App& command) {
    const std::string& usage = tree.help(command).usage;
    return CommandTree::path_of(command) + (usage.empty() ? "" : " " + usage);
}

std::string format_help(const CommandTree& tree, const CLI::App& command) {
    const CommandHelp& help = tree.help(command);
    std::ostringstream out;
    out << command.get_description() << "\n";
    if (command.get_parent() != nullptr) add_section(out, "Description", description_lines(help.description));
    add_section(out, "Usage", {usage_line(tree, command)});
    add_section(out, "Available Commands", command_rows(command));
    add_section(out, "Examples", help.examples);
    add_section(out, "Options", option_rows(command));
    return out.str();
}

}  // namespace berth::cli
