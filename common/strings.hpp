// String helpers used across berth.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth {

// Splits on every separator; empty fields are kept ("a::b" gives "a", "", "b").
std::vector<std::string> split(std::string_view text, char separator);

// KEY=VALUE words as a map (`--label`, `--opt`): a word without '=' is a key with an empty value; a later
// word for the same key wins.
std::map<std::string, std::string> parse_key_values(const std::vector<std::string>& words);

// The parts with `separator` between them: join({"a", "b"}, ", ") is "a, b".
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// Removes leading and trailing spaces, tabs and line ends.
std::string_view trim(std::string_view text);

// Parses a whole decimal unsigned number; nothing on any stray character or overflow.
std::optional<unsigned long long> parse_unsigned(std::string_view text);

}  // namespace berth
