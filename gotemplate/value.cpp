#include "gotemplate/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace berth::gotemplate {

std::string type_name(const Value& value) {
    if (!value.type.empty()) return value.type;
    const auto& data = value.data();
    if (data.is_string()) return "string";
    if (data.is_boolean()) return "bool";
    if (data.is_number_float()) return "float64";
    if (data.is_number()) return "int";
    if (data.is_array()) return "[]interface {}";
    if (data.is_object()) return "struct";
    return "interface {}";
}

std::string element_type(const std::string& type) {
    if (type.starts_with("[]")) return type.substr(2);
    if (type.starts_with("map[")) {
        size_t depth = 0;
        for (size_t i = 3; i < type.size(); ++i) {
            if (type[i] == '[') ++depth;
            if (type[i] == ']' && --depth == 0) return type.substr(i + 1);
        }
    }
    return "";
}

bool is_map(const Value& value) { return value.type.starts_with("map["); }

bool is_true(const Value& value) {
    const auto& data = value.data();
    if (value.missing || data.is_null()) return false;
    if (data.is_boolean()) return data.get<bool>();
    if (data.is_number_float()) return data.get<double>() != 0;
    if (data.is_number_unsigned()) return data.get<uint64_t>() != 0;
    if (data.is_number()) return data.get<int64_t>() != 0;
    if (data.is_string()) return !data.get_ref<const std::string&>().empty();
    if (data.is_array()) return !data.empty();
    if (data.is_object()) return !is_map(value) || !data.empty();
    return true;
}

std::string print_float(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    if (value == 0) return std::signbit(value) ? "-0" : "0";
    // Shortest digits that round-trip, then Go's %v layout: %e when the exponent is < -4 or >= 6.
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
    std::string scientific(buffer, result.ptr);
    auto e = scientific.find('e');
    int exponent = std::stoi(scientific.substr(e + 1));
    std::string mantissa = scientific.substr(0, e);
    if (exponent < -4 || exponent >= 6) {
        char sign = exponent < 0 ? '-' : '+';
        int magnitude = std::abs(exponent);
        return mantissa + "e" + sign + (magnitude < 10 ? "0" : "") + std::to_string(magnitude);
    }
    result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
    return std::string(buffer, result.ptr);
}

std::string print_json(const nlohmann::json& value, bool as_map) {
    switch (value.type()) {
        case nlohmann::json::value_t::null: return "<nil>";
        case nlohmann::json::value_t::string: return value.get<std::string>();
        case nlohmann::json::value_t::boolean: return value.get<bool>() ? "true" : "false";
        case nlohmann::json::value_t::number_integer: return std::to_string(value.get<int64_t>());
        case nlohmann::json::value_t::number_unsigned: return std::to_string(value.get<uint64_t>());
        case nlohmann::json::value_t::number_float: return print_float(value.get<double>());
        case nlohmann::json::value_t::array: {
            std::string out = "[";
            for (size_t i = 0; i < value.size(); ++i) out += (i ? " " : "") + print_json(value[i]);
            return out + "]";
        }
        case nlohmann::json::value_t::object: {
            std::string out = as_map ? "map[" : "{";
            bool first = true;
            for (auto it = value.begin(); it != value.end(); ++it) {
                if (!first) out += ' ';
                first = false;
                if (as_map) out += it.key() + ":";
                out += print_json(it.value());
            }
            return out + (as_map ? "]" : "}");
        }
        default: return value.dump();
    }
}

std::string print_value(const Value& value) {
    if (value.missing || value.data().is_null()) return "<no value>";
    return print_json(value.data(), is_map(value));
}

}  // namespace berth::gotemplate
