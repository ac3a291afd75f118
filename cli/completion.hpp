// Shell completion: thin bash/zsh/fish scripts that ask `berth __complete` for candidates,
// which the binary computes from the command tree.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cli/command_tree.hpp"

namespace berth::cli {

struct Candidate {
    std::string value;
    std::string description;
};

struct Completion {
    std::vector<Candidate> candidates;
    ValueKind fallback = ValueKind::none;  // files or directories: let the shell complete paths too
};

// Candidates for the last word of `words` (the words after "berth"; the last one is the word being
// completed, possibly empty).
Completion complete_words(const CommandTree& tree, const std::vector<std::string>& words);

// What `berth __complete` prints: "value\tdescription" lines, then ":files", ":dirs" or ":none".
std::string format_completion(const Completion& completion);

// The script for a shell ("bash", "zsh" or "fish"); nothing for any other name.
std::optional<std::string> completion_script(const std::string& shell);

inline const std::vector<std::string> completion_shells{"bash", "zsh", "fish"};

}  // namespace berth::cli
