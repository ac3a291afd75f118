#include "cli/man_page.hpp"

#include <algorithm>
#include <sstream>

#include "cli/help_text.hpp"
#include "common/version.hpp"

namespace berth::cli {
namespace {

// Escapes text for roff: backslashes, hyphens, and a leading control character.
std::string roff_escape(const std::string& text) {
    std::string escaped;
    for (char c : text) {
        if (c == '\\')
            escaped += "\\e";
        else if (c == '-')
            escaped += "\\-";
        else
            escaped += c;
    }
    if (!escaped.empty() && (escaped.front() == '.' || escaped.front() == '\'')) escaped.insert(0, "\\&");
    return escaped;
}

std::string page_name(const CLI::App& command) {
    std::string name = CommandTree::path_of(command);
    std::replace(name.begin(), name.end(), ' ', '-');
    return name;
}

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    return text;
}

void write_paragraphs(std::ostringstream& out, const std::string& text) {
    std::istringstream in(text);
    bool first = true;
    for (std::string line; std::getline(in, line);) {
        if (line.empty()) {
            out << ".PP\n";
            continue;
        }
        if (!first && line.front() == ' ') out << ".br\n";
        out << roff_escape(line) << "\n";
        first = false;
    }
}

void write_options(std::ostringstream& out, const std::string& title, const CLI::App& command) {
    auto options = CommandTree::visible_options(command);
    if (options.empty()) return;
    out << ".SH " << title << "\n";
    for (const auto* option : options) {
        out << ".TP\n\\fB" << roff_escape(CommandTree::option_names(*option)) << "\\fR";
        if (CommandTree::takes_value(*option)) out << " \\fI" << value_label(*option) << "\\fR";
        out << "\n" << roff_escape(option_description(*option)) << "\n";
    }
}

void write_commands(std::ostringstream& out, const CLI::App& command) {
    auto commands = CommandTree::visible_commands(command);
    if (commands.empty()) return;
    out << ".SH COMMANDS\n";
    for (const auto* sub : commands) {
        out << ".TP\n\\fB" << roff_escape(page_name(*sub)) << "\\fR(1)\n"
            << roff_escape(sub->get_description()) << "\n";
    }
}

void write_examples(std::ostringstream& out, const std::vector<std::string>& examples) {
    if (examples.empty()) return;
    out << ".SH EXAMPLES\n.nf\n";
    for (const auto& example : examples) out << roff_escape(example) << "\n";
    out << ".fi\n";
}

void write_see_also(std::ostringstream& out, const CLI::App& command) {
    out << ".SH SEE ALSO\n";
    std::vector<std::string> pages;
    if (command.get_parent() != nullptr) pages.push_back(page_name(*command.get_parent()));
    for (const auto* sub : CommandTree::visible_commands(command)) pages.push_back(page_name(*sub));
    std::string line;
    for (const auto& page : pages)
        line += (line.empty() ? "" : ", ") + std::string("\\fB") + roff_escape(page) + "\\fR(1)";
    out << (line.empty() ? "\\fBberth\\fR(1)" : line) << "\n";
}

std::string render_page(const CommandTree& tree, const CLI::App& command) {
    const CommandHelp& help = tree.help(command);
    std::ostringstream out;
    std::string name = page_name(command);
    out << ".TH " << roff_escape(upper(name)) << " 1 \"\" \"berth " << berth_version << "\" \"User Commands\"\n";
    out << ".SH NAME\n" << roff_escape(name) << " \\- " << roff_escape(command.get_description()) << "\n";
    out << ".SH SYNOPSIS\n\\fB" << roff_escape(usage_line(tree, command)) << "\\fR\n";
    out << ".SH DESCRIPTION\n";
    write_paragraphs(out, help.description.empty() ? command.get_description() : help.description);
    write_options(out, command.get_parent() == nullptr ? "GLOBAL OPTIONS" : "OPTIONS", command);
    write_commands(out, command);
    write_examples(out, help.examples);
    write_see_also(out, command);
    return out.str();
}

void render_tree(const CommandTree& tree, const CLI::App& command, std::map<std::string, std::string>& pages) {
    pages[page_name(command) + ".1"] = render_page(tree, command);
    for (const auto* sub : CommandTree::visible_commands(command)) render_tree(tree, *sub, pages);
}

}  // namespace

std::map<std::string, std::string> render_man_pages(const CommandTree& tree) {
    std::map<std::string, std::string> pages;
    render_tree(tree, tree.root(), pages);
    return pages;
}

}  // namespace berth::cli
