#include "common/strings.hpp"

#include <charconv>

namespace berth {

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> fields;
    size_t start = 0;
    for (;;) {
        size_t end = text.find(separator, start);
        if (end == std::string_view::npos) {
            fields.emplace_back(text.substr(start));
            return fields;
        }
        fields.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view blanks = " \t\r\n";
    auto first = text.find_first_not_of(blanks);
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(blanks);
    return text.substr(first, last - first + 1);
}

std::optional<unsigned long long> parse_unsigned(std::string_view text) {
    if (text.empty()) return std::nullopt;
    unsigned long long value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

std::map<std::string, std::string> parse_key_values(const std::vector<std::string>& words) {
    std::map<std::string, std::string> pairs;
    for (const auto& word : words) {
        auto equals = word.find('=');
        pairs[word.substr(0, equals)] = equals == std::string::npos ? "" : word.substr(equals + 1);
    }
    return pairs;
}

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
    std::string text;
    for (size_t i = 0; i < parts.size(); ++i) {
        if (i > 0) text += separator;
        text += parts[i];
    }
    return text;
}

}  // namespace berth
