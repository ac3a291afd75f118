#include "builder/containerfile.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <regex>

#include "common/error.hpp"

namespace berth::builder {
namespace {

const std::vector<std::string>& known_instructions() {
    static const std::vector<std::string> names{"ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
                                                "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
                                                "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR"};
    return names;
}

bool takes_flags(const std::string& keyword) {
    return keyword == "FROM" || keyword == "RUN" || keyword == "COPY" || keyword == "ADD" || keyword == "HEALTHCHECK";
}

bool takes_json(const std::string& keyword) {
    return keyword == "RUN" || keyword == "CMD" || keyword == "ENTRYPOINT" || keyword == "COPY" || keyword == "ADD" ||
           keyword == "SHELL" || keyword == "VOLUME";
}

bool takes_heredocs(const std::string& keyword) { return keyword == "RUN" || keyword == "COPY" || keyword == "ADD"; }

std::string trim(std::string_view text) {
    size_t begin = 0, end = text.size();
    while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
    while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
    return std::string(text.substr(begin, end - begin));
}

std::string upper(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

std::vector<std::string> split_lines(std::string_view text) {
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string line(text.substr(start, end - start));
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
        start = end + 1;
    }
    return lines;
}

bool is_comment(const std::string& line) {
    std::string trimmed = trim(line);
    return !trimmed.empty() && trimmed.front() == '#';
}

// Reads the parser directives at the top; returns the index of the first line after them.
size_t read_directives(const std::vector<std::string>& lines, Containerfile& file, const std::string& name) {
    static const std::regex directive(R"(^#\s*([A-Za-z]+)\s*=\s*(.*?)\s*$)");
    size_t index = 0;
    for (; index < lines.size(); ++index) {
        std::smatch match;
        std::string line = trim(lines[index]);
        if (!std::regex_match(line, match, directive)) break;
        std::string key = match[1].str();
        for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (key != "escape") continue;  // syntax=, check=, and unknown ones: accepted and ignored
        std::string value = match[2].str();
        if (value != "\\" && value != "`")
            throw Error(name + ":" + std::to_string(index + 1) + ": invalid escape token '" + value +
                        "' does not match ` or \\");
        file.escape = value.front();
    }
    return index;
}

// Whether the line continues on the next: it ends with the escape character (trailing blanks ignored).
bool continues(std::string& line, char escape) {
    size_t end = line.find_last_not_of(" \t");
    if (end == std::string::npos || line[end] != escape) return false;
    line.erase(end);
    return true;
}

void split_flags(Instruction& instruction, std::string rest) {
    while (takes_flags(instruction.keyword) && rest.starts_with("--")) {
        size_t end = rest.find_first_of(" \t");
        instruction.flags.push_back(rest.substr(0, end));
        rest = end == std::string::npos ? "" : trim(rest.substr(end));
    }
    instruction.arguments = rest;
}

void parse_json_form(Instruction& instruction) {
    if (!takes_json(instruction.keyword) || !instruction.arguments.starts_with("[")) return;
    auto value = nlohmann::json::parse(instruction.arguments, nullptr, false);
    if (!value.is_array()) return;  // not JSON: the shell form, as Docker takes it
    std::vector<std::string> words;
    for (const auto& item : value) {
        if (!item.is_string()) return;
        words.push_back(item.get<std::string>());
    }
    instruction.json_form = true;
    instruction.words = std::move(words);
}

// The heredocs the arguments open, their content read from the lines after the instruction; advances `index`.
void read_heredocs(Instruction& instruction, const std::vector<std::string>& lines, size_t& index,
                   const std::string& name) {
    if (!takes_heredocs(instruction.keyword) || instruction.json_form) return;
    static const std::regex opener(R"(<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)\2)");
    const std::string& text = instruction.arguments;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), opener); it != std::sregex_iterator(); ++it) {
        const auto& match = *it;
        if (match.position(0) > 0 && text[static_cast<size_t>(match.position(0)) - 1] == '<') continue;
        Heredoc heredoc;
        heredoc.name = match[3].str();
        heredoc.expand = match[2].str().empty();
        bool strip_tabs = !match[1].str().empty();
        bool closed = false;
        for (; index < lines.size(); ++index) {
            std::string line = lines[index];
            if (strip_tabs)
                line.erase(
                    0, line.find_first_not_of('\t') == std::string::npos ? line.size() : line.find_first_not_of('\t'));
            if (line == heredoc.name) {
                closed = true;
                ++index;
                break;
            }
            heredoc.content += line + "\n";
        }
        if (!closed)
            throw Error(name + ":" + std::to_string(instruction.line) + ": unterminated heredoc " + heredoc.name);
        instruction.heredocs.push_back(std::move(heredoc));
    }
}

Instruction make_instruction(const std::string& joined, int line, const std::string& name) {
    Instruction instruction;
    instruction.line = line;
    std::string text = trim(joined);
    size_t end = text.find_first_of(" \t");
    instruction.keyword = upper(text.substr(0, end));
    const auto& known = known_instructions();
    if (std::find(known.begin(), known.end(), instruction.keyword) == known.end())
        throw Error(name + ":" + std::to_string(line) + ": unknown instruction: " + text.substr(0, end));
    std::string rest = end == std::string::npos ? "" : trim(text.substr(end));
    instruction.text = instruction.keyword + (rest.empty() ? "" : " " + rest);
    split_flags(instruction, rest);
    if (instruction.arguments.empty())
        throw Error(name + ":" + std::to_string(line) + ": " + instruction.keyword + " requires at least one argument");
    parse_json_form(instruction);
    return instruction;
}

}  // namespace

Containerfile parse_containerfile(std::string_view text, const std::string& name) {
    Containerfile file;
    auto lines = split_lines(text);
    size_t index = read_directives(lines, file, name);
    while (index < lines.size()) {
        if (trim(lines[index]).empty() || is_comment(lines[index])) {
            ++index;
            continue;
        }
        int first = static_cast<int>(index) + 1;
        std::string joined;
        std::string line = lines[index++];
        while (continues(line, file.escape)) {
            joined += line;
            while (index < lines.size() && (is_comment(lines[index]) || trim(lines[index]).empty())) ++index;
            if (index == lines.size()) {
                line.clear();
                break;
            }
            line = lines[index++];
        }
        joined += line;
        auto instruction = make_instruction(joined, first, name);
        read_heredocs(instruction, lines, index, name);
        file.instructions.push_back(std::move(instruction));
    }
    return file;
}

std::string flag_value(const Instruction& instruction, std::string_view flag, const std::string& fallback) {
    std::string prefix = "--" + std::string(flag) + "=";
    for (const auto& item : instruction.flags)
        if (item.starts_with(prefix)) return item.substr(prefix.size());
    return fallback;
}

bool has_flag(const Instruction& instruction, std::string_view flag) {
    std::string plain = "--" + std::string(flag);
    for (const auto& item : instruction.flags)
        if (item == plain || item.starts_with(plain + "=")) return true;
    return false;
}

}  // namespace berth::builder
