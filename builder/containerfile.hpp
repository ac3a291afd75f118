// The Containerfile (Dockerfile) syntax: lines joined at the escape character, comments and parser directives
// (`# escape=`, `# syntax=` accepted and ignored), instructions with their leading --flags, JSON and shell forms,
// and heredocs (`RUN <<EOF`, `COPY <<EOF /file`) as BuildKit and buildah accept them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::builder {

struct Heredoc {
    std::string name;     // the delimiter word ("EOF")
    std::string content;  // the lines between the instruction and the delimiter, each ending in "\n"
    bool expand = true;   // an unquoted delimiter: variables in the content are expanded (by the shell, for RUN)
};

struct Instruction {
    int line = 0;                    // where it starts (1-based)
    std::string keyword;             // upper case: "RUN"
    std::string text;                // the instruction as written, its lines joined: "RUN echo hi"
    std::vector<std::string> flags;  // the leading "--name=value" words, as written
    std::string arguments;           // what follows the flags (the shell form's command line, trimmed)
    bool json_form = false;          // the arguments are a JSON array of strings
    std::vector<std::string> words;  // that array's strings (JSON form only)
    std::vector<Heredoc> heredocs;   // the heredocs the arguments open, in order
};

struct Containerfile {
    char escape = '\\';
    std::vector<Instruction> instructions;
};

// Parses the text of a Containerfile; `name` names it in errors, which are one line with the line number:
// "Containerfile:3: unknown instruction: FOO". Throws Error (exit status 125).
Containerfile parse_containerfile(std::string_view text, const std::string& name);

// The value of a flag of the instruction ("--from=build" -> "build" for "from"), or `fallback`.
std::string flag_value(const Instruction& instruction, std::string_view flag, const std::string& fallback = "");
bool has_flag(const Instruction& instruction, std::string_view flag);

}  // namespace berth::builder
