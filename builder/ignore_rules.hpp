// .containerignore / .dockerignore: which files of the build context COPY and ADD never see. Docker's rules: one
// pattern a line, '#' comments, Go's filepath.Match wildcards (*, ?, [...]) plus "**" for any number of
// directories, a leading '!' for an exception; the last pattern that matches a path (or one of its parent
// directories) decides.
#pragma once

#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace berth::builder {

class IgnoreRules {
public:
    IgnoreRules() = default;
    // Throws Error for a malformed pattern (an unclosed '[').
    static IgnoreRules parse(std::string_view text);

    // Whether the path (relative to the context, "a/b.txt") is left out.
    bool excluded(const std::string& path) const;
    bool empty() const { return patterns_.empty(); }

private:
    struct Pattern {
        std::regex regex;
        bool exception = false;
    };
    std::vector<Pattern> patterns_;
};

}  // namespace berth::builder
