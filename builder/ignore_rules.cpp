#include "builder/ignore_rules.hpp"

#include "common/error.hpp"
#include "common/lexical_path.hpp"

namespace berth::builder {
namespace {

std::string trim(std::string_view text) {
    size_t begin = text.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) return "";
    size_t end = text.find_last_not_of(" \t\r");
    return std::string(text.substr(begin, end - begin + 1));
}

// The pattern as an ECMAScript regular expression for the whole path.
std::string to_regex(const std::string& pattern) {
    std::string out;
    for (size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '*' && i + 1 < pattern.size() && pattern[i + 1] == '*') {
            ++i;
            if (i + 1 < pattern.size() && pattern[i + 1] == '/') {
                ++i;
                out += "(.*/)?";
            } else {
                out += ".*";
            }
        } else if (c == '*') {
            out += "[^/]*";
        } else if (c == '?') {
            out += "[^/]";
        } else if (c == '[') {
            size_t end = pattern.find(']', i + 1);
            if (end == std::string::npos) throw Error("syntax error in pattern \"" + pattern + "\"");
            std::string set = pattern.substr(i + 1, end - i - 1);
            if (!set.empty() && set.front() == '!') set.front() = '^';
            out += "[" + set + "]";
            i = end;
        } else if (c == '\\' && i + 1 < pattern.size()) {
            out += '\\';
            out += pattern[++i];
        } else {
            if (std::string_view(".+()|{}^$").find(c) != std::string_view::npos) out += '\\';
            out += c;
        }
    }
    return out;
}

}  // namespace

IgnoreRules IgnoreRules::parse(std::string_view text) {
    IgnoreRules rules;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        std::string line = trim(text.substr(start, end - start));
        start = end + 1;
        if (line.empty() || line.front() == '#') continue;
        Pattern pattern;
        if (line.front() == '!') {
            pattern.exception = true;
            line = trim(line.substr(1));
        }
        if (auto parts = lexical_components(line)) {
            line.clear();
            for (const auto& part : *parts) line += (line.empty() ? "" : "/") + part;
        }
        if (line.empty()) continue;
        pattern.regex = std::regex(to_regex(line));
        rules.patterns_.push_back(std::move(pattern));
    }
    return rules;
}

bool IgnoreRules::excluded(const std::string& path) const {
    bool out = false;
    for (const auto& pattern : patterns_) {
        bool matches = false;
        for (size_t end = path.size(); !matches; end = path.rfind('/', end - 1)) {
            if (std::regex_match(path.begin(), path.begin() + static_cast<long>(end), pattern.regex)) matches = true;
            if (end == 0 || path.rfind('/', end - 1) == std::string::npos) break;
        }
        if (matches) out = !pattern.exception;
    }
    return out;
}

}  // namespace berth::builder
