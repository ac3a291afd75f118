#include "transport/config_changes.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "common/error.hpp"

namespace berth::transport {
namespace {

using nlohmann::json;

std::string trim(const std::string& text) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

std::vector<std::string> fields(const std::string& text) {
    std::vector<std::string> out;
    std::string current;
    for (char c : text) {
        if (std::isspace(static_cast<unsigned char>(c))) {
            if (!current.empty()) out.push_back(std::move(current));
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) out.push_back(std::move(current));
    return out;
}

std::string unquoted(const std::string& text) {
    if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') && text.back() == text.front())
        return text.substr(1, text.size() - 2);
    return text;
}

// A JSON array of strings, when the value is one.
std::optional<std::vector<std::string>> json_strings(const std::string& value) {
    if (value.empty() || value.front() != '[') return std::nullopt;
    json parsed = json::parse(value, nullptr, false);
    if (!parsed.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& item : parsed) {
        if (!item.is_string()) return std::nullopt;
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::vector<std::string> command_of(const std::string& value) {
    if (auto array = json_strings(value)) return *array;
    return {"/bin/sh", "-c", value};
}

// KEY=VALUE pairs, or KEY VALUE.
std::vector<std::pair<std::string, std::string>> pairs_of(const std::string& change, const std::string& value) {
    std::vector<std::pair<std::string, std::string>> out;
    auto words = fields(value);
    if (words.empty()) throw Error("invalid change \"" + change + "\" - must provide a value");
    if (words.front().find('=') == std::string::npos) {
        auto space = value.find_first_of(" \t");
        if (space == std::string::npos) throw Error("invalid change \"" + change + "\" - must be KEY=VALUE");
        out.emplace_back(words.front(), unquoted(trim(value.substr(space))));
        return out;
    }
    for (const auto& word : words) {
        auto equals = word.find('=');
        if (equals == std::string::npos || equals == 0)
            throw Error("invalid change \"" + change + "\" - must be KEY=VALUE");
        out.emplace_back(unquoted(word.substr(0, equals)), unquoted(word.substr(equals + 1)));
    }
    return out;
}

void set_env(json& config, const std::string& key, const std::string& value) {
    json& env = config["Env"];
    if (!env.is_array()) env = json::array();
    std::string prefix = key + "=";
    for (auto& item : env)
        if (item.is_string() && item.get<std::string>().starts_with(prefix)) {
            item = prefix + value;
            return;
        }
    env.push_back(prefix + value);
}

void add_to_set(json& config, const char* field, const std::string& key) {
    json& set = config[field];
    if (!set.is_object()) set = json::object();
    set[key] = json::object();
}

void apply_one(json& config, const std::string& change) {
    std::string text = trim(change);
    auto split = text.find_first_of(" \t=");
    if (split == std::string::npos) throw Error("invalid change \"" + change + "\" - must be formatted as KEY VALUE");
    std::string instruction = text.substr(0, split);
    std::transform(instruction.begin(), instruction.end(), instruction.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    std::string value = trim(text.substr(split + 1));
    if (instruction == "CMD") {
        config["Cmd"] = command_of(value);
    } else if (instruction == "ENTRYPOINT") {
        config["Entrypoint"] = command_of(value);
    } else if (instruction == "ENV") {
        for (const auto& [key, item] : pairs_of(change, value)) set_env(config, key, item);
    } else if (instruction == "LABEL") {
        for (const auto& [key, item] : pairs_of(change, value)) config["Labels"][key] = item;
    } else if (instruction == "EXPOSE") {
        auto ports = fields(value);
        if (ports.empty()) throw Error("invalid change \"" + change + "\" - must provide a value to EXPOSE");
        for (auto port : ports)
            add_to_set(config, "ExposedPorts", port.find('/') == std::string::npos ? port + "/tcp" : port);
    } else if (instruction == "VOLUME") {
        auto volumes = json_strings(value).value_or(fields(value));
        if (volumes.empty()) throw Error("invalid change \"" + change + "\" - must provide a value to VOLUME");
        for (const auto& volume : volumes) add_to_set(config, "Volumes", volume);
    } else if (instruction == "WORKDIR") {
        if (value.empty()) throw Error("invalid change \"" + change + "\" - must provide a non-empty WORKDIR");
        std::string current = config.value("WorkingDir", "");
        config["WorkingDir"] =
            value.front() == '/' || current.empty() ? value : current + (current.back() == '/' ? "" : "/") + value;
    } else if (instruction == "USER") {
        if (value.empty()) throw Error("invalid change \"" + change + "\" - must provide a value to USER");
        config["User"] = value;
    } else if (instruction == "STOPSIGNAL") {
        if (value.empty()) throw Error("invalid change \"" + change + "\" - must provide a value to STOPSIGNAL");
        config["StopSignal"] = value;
    } else if (instruction == "ONBUILD") {
        if (value.empty()) throw Error("invalid change \"" + change + "\" - must provide a value to ONBUILD");
        config["OnBuild"].push_back(value);
    } else {
        throw Error("invalid change \"" + change + "\" - invalid instruction " + instruction);
    }
}

}  // namespace

void apply_config_changes(json& config, const std::vector<std::string>& changes) {
    if (!config.is_object()) config = json::object();
    for (const auto& change : changes) apply_one(config, change);
}

}  // namespace berth::transport
