#include "gotemplate/printf.hpp"

#include <cmath>
#include <cstdio>

namespace berth::gotemplate {
namespace {

struct Spec {
    bool minus = false, plus = false, sharp = false, space = false, zero = false;
    int width = -1;
    int precision = -1;
    char verb = 'v';
};

size_t rune_count(const std::string& text) {
    size_t count = 0;
    for (unsigned char c : text) count += (c & 0xC0) != 0x80;
    return count;
}

std::string pad(std::string text, const Spec& spec, bool numeric) {
    if (spec.width < 0) return text;
    size_t length = rune_count(text);
    if (length >= static_cast<size_t>(spec.width)) return text;
    size_t missing = static_cast<size_t>(spec.width) - length;
    if (spec.minus) return text + std::string(missing, ' ');
    if (spec.zero && numeric) {
        size_t sign = (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ')) ? 1 : 0;
        return text.substr(0, sign) + std::string(missing, '0') + text.substr(sign);
    }
    return std::string(missing, ' ') + text;
}

bool is_integer(const nlohmann::json& data) { return data.is_number_integer() || data.is_number_unsigned(); }

std::string bad_verb(char verb, const Value& value) {
    if (value.missing || value.data().is_null()) return std::string("%!") + verb + "(<nil>)";
    return std::string("%!") + verb + "(" + type_name(value) + "=" + print_value(value) + ")";
}

std::string format_integer(const nlohmann::json& data, const Spec& spec) {
    bool negative = data.is_number_integer() && data.get<int64_t>() < 0;
    uint64_t magnitude = data.is_number_unsigned() ? data.get<uint64_t>()
                         : negative                ? static_cast<uint64_t>(-(data.get<int64_t>() + 1)) + 1
                                                   : static_cast<uint64_t>(data.get<int64_t>());
    int base = 10;
    const char* digits = "0123456789abcdef";
    switch (spec.verb) {
        case 'x': base = 16; break;
        case 'X':
            base = 16;
            digits = "0123456789ABCDEF";
            break;
        case 'o': base = 8; break;
        case 'b': base = 2; break;
        default: break;
    }
    std::string out;
    do {
        out.insert(out.begin(), digits[magnitude % static_cast<uint64_t>(base)]);
        magnitude /= static_cast<uint64_t>(base);
    } while (magnitude);
    if (spec.precision >= 0 && out.size() < static_cast<size_t>(spec.precision))
        out.insert(0, static_cast<size_t>(spec.precision) - out.size(), '0');
    if (spec.sharp && base == 16) out.insert(0, spec.verb == 'X' ? "0X" : "0x");
    if (spec.sharp && base == 8) out.insert(0, "0");
    if (negative)
        out.insert(0, "-");
    else if (spec.plus)
        out.insert(0, "+");
    else if (spec.space)
        out.insert(0, " ");
    return out;
}

std::string format_float(double value, const Spec& spec) {
    char verb = spec.verb == 'v' ? 'g' : spec.verb;
    if (verb == 'g' && spec.precision < 0) {
        std::string out = print_float(value);
        if (spec.plus && value >= 0) out.insert(0, "+");
        return out;
    }
    std::string format = "%";
    if (spec.plus) format += '+';
    if (spec.space) format += ' ';
    if (spec.sharp) format += '#';
    format += "." + std::to_string(spec.precision < 0 ? 6 : spec.precision) + verb;
    char buffer[512];
    std::snprintf(buffer, sizeof buffer, format.c_str(), value);
    return buffer;
}

std::string quote_rune(int64_t code) {
    if (code == '\'') return "'\\''";
    if (code == '\\') return "'\\\\'";
    if (code >= 0x20 && code < 0x7f) return std::string("'") + static_cast<char>(code) + "'";
    static const char* named[] = {"\\a", "\\b", "\\t", "\\n", "\\v", "\\f", "\\r"};
    if (code >= 7 && code <= 13) return std::string("'") + named[code - 7] + "'";
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, code < 0x100 ? "'\\x%02x'" : "'\\u%04x'", static_cast<unsigned>(code));
    return buffer;
}

std::string format_one(const Value& value, const Spec& spec) {
    const auto& data = value.data();
    char verb = spec.verb;
    if (verb == 'T') return pad(value.missing || data.is_null() ? "<nil>" : type_name(value), spec, false);
    if (value.missing || data.is_null())
        return verb == 'v' || verb == 's' ? pad("<nil>", spec, false) : bad_verb(verb, value);
    if (data.is_array() && verb != 'v') {
        std::string out = "[";
        Spec inner = spec;
        inner.width = -1;
        for (size_t i = 0; i < data.size(); ++i) out += (i ? " " : "") + format_one(Value{data[i], "", false}, inner);
        return pad(out + "]", spec, false);
    }
    switch (verb) {
        case 'v':
            if (data.is_number_float()) return pad(format_float(data.get<double>(), spec), spec, true);
            if (is_integer(data)) return pad(format_integer(data, spec), spec, true);
            return pad(print_value(value), spec, false);
        case 's':
            if (!data.is_string()) return bad_verb(verb, value);
            {
                std::string text = data.get<std::string>();
                if (spec.precision >= 0 && rune_count(text) > static_cast<size_t>(spec.precision)) {
                    size_t runes = 0, i = 0;
                    for (; i < text.size(); ++i) {
                        if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 &&
                            runes++ == static_cast<size_t>(spec.precision))
                            break;
                    }
                    text.resize(i);
                }
                return pad(text, spec, false);
            }
        case 'q':
            if (data.is_string()) return pad(go_quote(data.get<std::string>()), spec, false);
            if (is_integer(data)) return pad(quote_rune(data.get<int64_t>()), spec, false);
            return bad_verb(verb, value);
        case 'd':
        case 'o':
        case 'b':
            if (is_integer(data)) return pad(format_integer(data, spec), spec, true);
            return bad_verb(verb, value);
        case 'x':
        case 'X':
            if (is_integer(data)) return pad(format_integer(data, spec), spec, true);
            if (data.is_string()) {
                std::string out;
                char buffer[4];
                for (unsigned char c : data.get<std::string>()) {
                    std::snprintf(buffer, sizeof buffer, verb == 'x' ? "%02x" : "%02X", c);
                    out += buffer;
                }
                return pad(out, spec, false);
            }
            if (data.is_number_float()) return pad(format_float(data.get<double>(), spec), spec, true);
            return bad_verb(verb, value);
        case 'c':
            if (is_integer(data)) {
                std::string out;
                auto code = data.get<int64_t>();
                if (code < 0x80)
                    out += static_cast<char>(code);
                else
                    out = quote_rune(code);
                return pad(out, spec, false);
            }
            return bad_verb(verb, value);
        case 't':
            if (data.is_boolean()) return pad(data.get<bool>() ? "true" : "false", spec, false);
            return bad_verb(verb, value);
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
            if (data.is_number_float()) return pad(format_float(data.get<double>(), spec), spec, true);
            return bad_verb(verb, value);
        default: return bad_verb(verb, value);
    }
}

}  // namespace

std::string go_quote(const std::string& text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\a': out += "\\a"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\v': out += "\\v"; break;
            default:
                if (c < 0x20 || c == 0x7f) {
                    char buffer[8];
                    std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
                    out += buffer;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out + "\"";
}

std::string go_sprintf(const std::string& format, const std::vector<Value>& arguments) {
    std::string out;
    size_t next_argument = 0;
    for (size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%') {
            out += format[i];
            continue;
        }
        Spec spec;
        ++i;
        for (; i < format.size(); ++i) {
            char c = format[i];
            if (c == '-')
                spec.minus = true;
            else if (c == '+')
                spec.plus = true;
            else if (c == '#')
                spec.sharp = true;
            else if (c == ' ')
                spec.space = true;
            else if (c == '0')
                spec.zero = !spec.minus;
            else
                break;
        }
        auto read_number = [&](int& target) {
            if (i < format.size() && format[i] == '*') {
                ++i;
                if (next_argument < arguments.size() && is_integer(arguments[next_argument].data()))
                    target = static_cast<int>(arguments[next_argument++].data().get<int64_t>());
                return;
            }
            if (i >= format.size() || format[i] < '0' || format[i] > '9') return;
            target = 0;
            while (i < format.size() && format[i] >= '0' && format[i] <= '9')
                target = target * 10 + (format[i++] - '0');
        };
        read_number(spec.width);
        if (spec.width < 0 && spec.width != -1) {
            spec.minus = true;
            spec.width = -spec.width;
        }
        if (i < format.size() && format[i] == '.') {
            ++i;
            spec.precision = 0;
            read_number(spec.precision);
        }
        if (i >= format.size()) {
            out += "%!(NOVERB)";
            break;
        }
        spec.verb = format[i];
        if (spec.verb == '%') {
            out += '%';
            continue;
        }
        if (next_argument >= arguments.size()) {
            out += std::string("%!") + spec.verb + "(MISSING)";
            continue;
        }
        out += format_one(arguments[next_argument++], spec);
    }
    if (next_argument < arguments.size()) {
        out += "%!(EXTRA ";
        for (size_t i = next_argument; i < arguments.size(); ++i) {
            if (i > next_argument) out += ", ";
            const auto& value = arguments[i];
            out += value.missing || value.data().is_null() ? "<nil>" : type_name(value) + "=" + print_value(value);
        }
        out += ")";
    }
    return out;
}

std::string go_sprint(const std::vector<Value>& arguments) {
    std::string out;
    for (size_t i = 0; i < arguments.size(); ++i) {
        bool is_string = arguments[i].data().is_string();
        if (i > 0 && !is_string && !arguments[i - 1].data().is_string()) out += ' ';
        out += arguments[i].missing || arguments[i].data().is_null() ? "<nil>" : print_value(arguments[i]);
    }
    return out;
}

std::string go_sprintln(const std::vector<Value>& arguments) {
    std::string out;
    for (size_t i = 0; i < arguments.size(); ++i) {
        if (i > 0) out += ' ';
        out += arguments[i].missing || arguments[i].data().is_null() ? "<nil>" : print_value(arguments[i]);
    }
    return out + "\n";
}

}  // namespace berth::gotemplate
