#include "common/os_release.hpp"

#include <fstream>
#include <map>
#include <sstream>

namespace berth {
namespace {

std::string unquote(std::string_view value) {
    if (value.size() < 2 || (value.front() != '"' && value.front() != '\'') || value.back() != value.front())
        return std::string(value);
    const char quote = value.front();
    value = value.substr(1, value.size() - 2);
    std::string text;
    for (size_t i = 0; i < value.size(); ++i) {
        if (quote == '"' && value[i] == '\\' && i + 1 < value.size()) ++i;
        text += value[i];
    }
    return text;
}

}  // namespace

Distribution parse_os_release(std::string_view text) {
    std::map<std::string, std::string, std::less<>> fields;
    std::istringstream lines{std::string(text)};
    for (std::string line; std::getline(lines, line);) {
        auto equals = line.find('=');
        if (line.empty() || line.front() == '#' || equals == std::string::npos || equals == 0) continue;
        fields[line.substr(0, equals)] = unquote(std::string_view(line).substr(equals + 1));
    }
    auto field = [&](std::string_view key) {
        auto found = fields.find(key);
        return found == fields.end() ? std::string() : found->second;
    };
    return {field("ID"), field("VERSION_ID"), field("VERSION_CODENAME"), field("VARIANT_ID")};
}

Distribution host_distribution() {
    for (const char* path : {"/etc/os-release", "/usr/lib/os-release"}) {
        std::ifstream file(path);
        if (!file) continue;
        std::stringstream text;
        text << file.rdbuf();
        return parse_os_release(text.str());
    }
    return {};
}

}  // namespace berth
