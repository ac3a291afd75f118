#include "cli/output/yaml.hpp"

#include <string_view>

namespace berth::cli {
namespace {

using nlohmann::json;

bool needs_quotes(const std::string& text) {
    if (text.empty()) return true;
    if (text == "true" || text == "false" || text == "null" || text == "~") return true;
    if (text.front() == ' ' || text.back() == ' ') return true;
    if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(text.front()) != std::string_view::npos) return true;
    if (text.find(": ") != std::string::npos || text.find(" #") != std::string::npos) return true;
    if (text.find_first_not_of("0123456789.+-eE") == std::string::npos) return true;  // would read as a number
    for (unsigned char c : text)
        if (c < 0x20) return true;
    return false;
}

std::string scalar(const json& value) {
    if (value.is_string()) {
        const auto& text = value.get_ref<const std::string&>();
        return needs_quotes(text) ? json(text).dump() : text;
    }
    return value.dump();
}

bool is_empty_container(const json& value) { return (value.is_object() || value.is_array()) && value.empty(); }

void emit(const json& value, int indent, std::string& out);

void emit_object(const json& object, int indent, std::string& out) {
    std::string pad(static_cast<size_t>(indent), ' ');
    for (const auto& [key, value] : object.items()) {
        out += pad + key + ":";
        if (is_empty_container(value)) {
            out += value.is_array() ? " []\n" : " {}\n";
        } else if (value.is_object()) {
            out += "\n";
            emit_object(value, indent + 2, out);
        } else if (value.is_array()) {
            out += "\n";
            emit(value, indent, out);
        } else {
            out += " " + scalar(value) + "\n";
        }
    }
}

void emit_array(const json& array, int indent, std::string& out) {
    std::string pad(static_cast<size_t>(indent), ' ');
    for (const auto& item : array) {
        if (item.is_object() && !item.empty()) {
            std::string nested;
            emit_object(item, indent + 2, nested);
            out += pad + "- " + nested.substr(static_cast<size_t>(indent) + 2);
        } else if (is_empty_container(item)) {
            out += pad + (item.is_array() ? "- []\n" : "- {}\n");
        } else if (item.is_array()) {
            out += pad + "-\n";
            emit(item, indent + 2, out);
        } else {
            out += pad + "- " + scalar(item) + "\n";
        }
    }
}

void emit(const json& value, int indent, std::string& out) {
    if (value.is_object())
        emit_object(value, indent, out);
    else if (value.is_array())
        emit_array(value, indent, out);
    else
        out += std::string(static_cast<size_t>(indent), ' ') + scalar(value) + "\n";
}

}  // namespace

std::string to_yaml(const json& document) {
    std::string out;
    emit(document, 0, out);
    return out;
}

}  // namespace berth::cli
