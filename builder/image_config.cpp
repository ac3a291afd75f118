#include "builder/image_config.hpp"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "common/error.hpp"

namespace berth::builder {

using nlohmann::json;

void set_env(json& config, const std::string& key, const std::string& value) {
    if (!config.contains("Env") || !config["Env"].is_array()) config["Env"] = json::array();
    for (auto& item : config["Env"])
        if (item.is_string() && item.get<std::string>().starts_with(key + "=")) {
            item = key + "=" + value;
            return;
        }
    config["Env"].push_back(key + "=" + value);
}

Variables env_of(const json& config) {
    Variables out;
    if (config.contains("Env") && config["Env"].is_array())
        for (const auto& item : config["Env"])
            if (item.is_string()) {
                auto text = item.get<std::string>();
                size_t equals = text.find('=');
                out[text.substr(0, equals)] = equals == std::string::npos ? "" : text.substr(equals + 1);
            }
    return out;
}

namespace {

std::string upper(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

json healthcheck_config(const Instruction& instruction) {
    const std::string& rest = instruction.arguments;
    if (upper(rest) == "NONE") return {{"Test", {"NONE"}}};
    std::string head = upper(rest.substr(0, 4));
    if (head != "CMD " && head != "CMD\t" && head != "CMD[")
        throw Error("HEALTHCHECK takes NONE or CMD followed by the command");
    std::string command = rest.substr(3);
    command.erase(0, command.find_first_not_of(" \t"));
    auto value = json::parse(command, nullptr, false);
    json test = json::array();
    if (value.is_array() &&
        std::all_of(value.begin(), value.end(), [](const json& item) { return item.is_string(); })) {
        test.push_back("CMD");
        for (const auto& item : value) test.push_back(item);
    } else {
        test = {"CMD-SHELL", command};
    }
    json check = {{"Test", test}};
    for (auto [flag, key] : {std::pair{"interval", "Interval"}, std::pair{"timeout", "Timeout"},
                             std::pair{"start-period", "StartPeriod"}, std::pair{"start-interval", "StartInterval"}})
        if (std::string given = flag_value(instruction, flag); !given.empty()) check[key] = parse_duration(given);
    if (std::string retries = flag_value(instruction, "retries"); !retries.empty()) {
        if (!std::all_of(retries.begin(), retries.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
            retries.size() > 9)
            throw Error("--retries=" + retries + ": not a number");
        check["Retries"] = std::stoi(retries);
    }
    return check;
}

int64_t parse_duration(const std::string& text) {
    static const std::vector<std::pair<std::string, double>> units{{"ns", 1},  {"us", 1e3}, {"ms", 1e6},
                                                                   {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
    auto invalid = [&] { return Error("invalid duration \"" + text + "\""); };
    double total = 0;
    size_t pos = 0;
    if (text.empty()) throw invalid();
    while (pos < text.size()) {
        size_t end = text.find_first_not_of("0123456789.", pos);
        if (end == pos || end == std::string::npos) throw invalid();
        std::string number = text.substr(pos, end - pos);
        if (std::count(number.begin(), number.end(), '.') > 1 || number == ".") throw invalid();
        size_t unit_end = text.find_first_of("0123456789.", end);
        std::string unit = text.substr(end, unit_end == std::string::npos ? std::string::npos : unit_end - end);
        auto found = std::find_if(units.begin(), units.end(), [&](const auto& item) { return item.first == unit; });
        if (found == units.end()) throw invalid();
        total += std::stod(number) * found->second;
        pos = unit_end == std::string::npos ? text.size() : unit_end;
    }
    return static_cast<int64_t>(total);
}

}  // namespace berth::builder
