#include "gotemplate/functions.hpp"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>

#include "gotemplate/printf.hpp"

namespace berth::gotemplate {
namespace {

using nlohmann::json;

void want(std::string_view name, const std::vector<Value>& arguments, size_t count) {
    if (arguments.size() != count)
        throw ArgumentError("wrong number of args for " + std::string(name) + ": want " + std::to_string(count) +
                            " got " + std::to_string(arguments.size()));
}

void want_at_least(std::string_view name, const std::vector<Value>& arguments, size_t count) {
    if (arguments.size() < count)
        throw ArgumentError("wrong number of args for " + std::string(name) + ": want at least " +
                            std::to_string(count) + " got " + std::to_string(arguments.size()));
}

const std::string& text_of(const Value& value) {
    if (!value.data().is_string())
        throw ArgumentError("wrong type for value; expected string; got " + type_name(value));
    return value.data().get_ref<const std::string&>();
}

int64_t integer_of(const Value& value) {
    if (!value.data().is_number_integer() && !value.data().is_number_unsigned())
        throw ArgumentError("wrong type for value; expected int; got " + type_name(value));
    return value.data().get<int64_t>();
}

Value string_value(std::string text) { return Value{std::move(text), "", false}; }

std::string map_bytes(std::string text, int (*map)(int)) {
    for (auto& c : text)
        if (static_cast<unsigned char>(c) < 0x80) c = static_cast<char>(map(static_cast<unsigned char>(c)));
    return text;
}

int to_upper(int c) { return c >= 'a' && c <= 'z' ? c - 32 : c; }
int to_lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// strings.Title: the first letter of each word upper-cased; words are separated by anything but
// letters, digits and '_'.
std::string title(std::string text) {
    bool previous_separator = true;
    for (auto& c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        bool word = u >= 0x80 || u == '_' || std::isalnum(u);
        if (previous_separator && u < 0x80) c = static_cast<char>(to_upper(u));
        previous_separator = !word;
    }
    return text;
}

enum class Kind { boolean, integer, floating, string, other };

Kind kind_of(const Value& value) {
    const auto& data = value.data();
    if (value.missing || data.is_null()) return Kind::other;
    if (data.is_boolean()) return Kind::boolean;
    if (data.is_number_float()) return Kind::floating;
    if (data.is_number()) return Kind::integer;
    if (data.is_string()) return Kind::string;
    return Kind::other;
}

// -1, 0, 1 for two values of one basic kind.
int compare(const Value& a, const Value& b, bool ordered) {
    Kind ka = kind_of(a), kb = kind_of(b);
    if (ka == Kind::other || kb == Kind::other) {
        if (!ordered && (a.data().is_array() || a.data().is_object())) throw CallError("non-comparable type");
        throw CallError("invalid type for comparison");
    }
    if (ka != kb) throw CallError("incompatible types for comparison");
    if (ordered && ka == Kind::boolean) throw CallError("invalid type for comparison");
    switch (ka) {
        case Kind::boolean: return a.data().get<bool>() == b.data().get<bool>() ? 0 : 1;
        case Kind::floating: {
            double x = a.data().get<double>(), y = b.data().get<double>();
            return x < y ? -1 : x > y ? 1 : 0;
        }
        case Kind::integer: {
            bool xu = a.data().is_number_unsigned(), yu = b.data().is_number_unsigned();
            if (xu && yu) {
                auto x = a.data().get<uint64_t>(), y = b.data().get<uint64_t>();
                return x < y ? -1 : x > y ? 1 : 0;
            }
            auto x = a.data().get<int64_t>(), y = b.data().get<int64_t>();
            if (xu && a.data().get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return 1;
            if (yu && b.data().get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return -1;
            return x < y ? -1 : x > y ? 1 : 0;
        }
        case Kind::string: {
            int c = a.data().get_ref<const std::string&>().compare(b.data().get_ref<const std::string&>());
            return c < 0 ? -1 : c > 0 ? 1 : 0;
        }
        case Kind::other: break;
    }
    return 0;
}

Value boolean(bool value) { return Value{value, "", false}; }

Value index(const std::vector<Value>& arguments) {
    want_at_least("index", arguments, 1);
    Value item = arguments[0];
    for (size_t i = 1; i < arguments.size(); ++i) {
        const auto& key = arguments[i];
        if (item.missing || item.data().is_null()) throw CallError("index of untyped nil");
        if (item.data().is_array() || item.data().is_string()) {
            if (!key.data().is_number_integer() && !key.data().is_number_unsigned())
                throw CallError("cannot index slice/array with type " + type_name(key));
            int64_t at = key.data().get<int64_t>();
            size_t size =
                item.data().is_array() ? item.data().size() : item.data().get_ref<const std::string&>().size();
            if (at < 0 || static_cast<size_t>(at) >= size) throw CallError("index out of range: " + std::to_string(at));
            if (item.data().is_string())
                item = Value{
                    static_cast<unsigned char>(item.data().get_ref<const std::string&>()[static_cast<size_t>(at)]),
                    "uint8", false};
            else
                item = Value{item.data()[static_cast<size_t>(at)], element_type(item.type), false};
        } else if (item.data().is_object() && is_map(item)) {
            if (!key.data().is_string()) throw CallError("value has type " + type_name(key) + "; should be string");
            auto found = item.data().find(key.data().get<std::string>());
            std::string value_type = element_type(item.type);
            if (found == item.data().end())
                item = value_type == "string" ? Value{"", "string", false} : Value{nullptr, value_type, true};
            else
                item = Value{*found, value_type, false};
        } else {
            throw CallError("can't index item of type " + type_name(item));
        }
    }
    return item;
}

Value slice(const std::vector<Value>& arguments) {
    want_at_least("slice", arguments, 1);
    const auto& item = arguments[0];
    if (!item.data().is_string() && !item.data().is_array())
        throw CallError("can't slice item of type " + type_name(item));
    size_t size = item.data().is_string() ? item.data().get_ref<const std::string&>().size() : item.data().size();
    if (arguments.size() > 3) throw CallError("too many slice indexes: " + std::to_string(arguments.size() - 1));
    int64_t from = arguments.size() > 1 ? integer_of(arguments[1]) : 0;
    int64_t to = arguments.size() > 2 ? integer_of(arguments[2]) : static_cast<int64_t>(size);
    if (from < 0 || static_cast<size_t>(from) > size) throw CallError("index out of range: " + std::to_string(from));
    if (to < from || static_cast<size_t>(to) > size) throw CallError("index out of range: " + std::to_string(to));
    if (item.data().is_string())
        return string_value(
            item.data().get<std::string>().substr(static_cast<size_t>(from), static_cast<size_t>(to - from)));
    json out = json::array();
    for (auto i = from; i < to; ++i) out.push_back(item.data()[static_cast<size_t>(i)]);
    return Value{out, item.type, false};
}

std::string html_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '&': out += "&amp;"; break;
            case '\'': out += "&#39;"; break;
            case '"': out += "&#34;"; break;
            case '\0': out += "\uFFFD"; break;
            default: out += c;
        }
    }
    return out;
}

std::string query_escape(const std::string& text) {
    std::string out;
    char buffer[4];
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            std::snprintf(buffer, sizeof buffer, "%%%02X", c);
            out += buffer;
        }
    }
    return out;
}

using Function = std::function<Value(const std::vector<Value>&)>;

const std::map<std::string, Function, std::less<>>& functions() {
    static const std::map<std::string, Function, std::less<>> table = {
        {"not",
         [](const std::vector<Value>& a) {
             want("not", a, 1);
             return boolean(!is_true(a[0]));
         }},
        {"len",
         [](const std::vector<Value>& a) {
             want("len", a, 1);
             const auto& data = a[0].data();
             if (data.is_string()) return Value{data.get_ref<const std::string&>().size(), "int", false};
             if (data.is_array() || data.is_object()) return Value{data.size(), "int", false};
             if (data.is_null() && (a[0].type.starts_with("map[") || a[0].type.starts_with("[]")))
                 return Value{0, "int", false};  // a nil map or slice
             throw CallError("len of type " + (a[0].missing || data.is_null() ? "<nil>" : type_name(a[0])));
         }},
        {"index", index},
        {"slice", slice},
        {"print", [](const std::vector<Value>& a) { return string_value(go_sprint(a)); }},
        {"println", [](const std::vector<Value>& a) { return string_value(go_sprintln(a)); }},
        {"printf",
         [](const std::vector<Value>& a) {
             want_at_least("printf", a, 1);
             return string_value(go_sprintf(text_of(a[0]), std::vector<Value>(a.begin() + 1, a.end())));
         }},
        {"html", [](const std::vector<Value>& a) { return string_value(html_escape(go_sprint(a))); }},
        {"urlquery", [](const std::vector<Value>& a) { return string_value(query_escape(go_sprint(a))); }},
        {"eq",
         [](const std::vector<Value>& a) {
             want_at_least("eq", a, 1);
             if (a.size() == 1) throw CallError("missing argument for comparison");
             for (size_t i = 1; i < a.size(); ++i)
                 if (compare(a[0], a[i], false) == 0) return boolean(true);
             return boolean(false);
         }},
        {"ne",
         [](const std::vector<Value>& a) {
             want("ne", a, 2);
             return boolean(compare(a[0], a[1], false) != 0);
         }},
        {"lt",
         [](const std::vector<Value>& a) {
             want("lt", a, 2);
             return boolean(compare(a[0], a[1], true) < 0);
         }},
        {"le",
         [](const std::vector<Value>& a) {
             want("le", a, 2);
             return boolean(compare(a[0], a[1], true) <= 0);
         }},
        {"gt",
         [](const std::vector<Value>& a) {
             want("gt", a, 2);
             return boolean(compare(a[0], a[1], true) > 0);
         }},
        {"ge",
         [](const std::vector<Value>& a) {
             want("ge", a, 2);
             return boolean(compare(a[0], a[1], true) >= 0);
         }},
        {"json",
         [](const std::vector<Value>& a) {
             want("json", a, 1);
             return string_value(a[0].missing ? "null"
                                              : a[0].data().dump(-1, ' ', false, json::error_handler_t::replace));
         }},
        {"join",
         [](const std::vector<Value>& a) {
             want("join", a, 2);
             if (!a[0].data().is_array())
                 throw ArgumentError("wrong type for value; expected []string; got " + type_name(a[0]));
             std::string out;
             const std::string& separator = text_of(a[1]);
             for (size_t i = 0; i < a[0].data().size(); ++i) {
                 if (!a[0].data()[i].is_string())
                     throw ArgumentError("wrong type for value; expected []string; got " + type_name(a[0]));
                 out += (i ? separator : "") + a[0].data()[i].get<std::string>();
             }
             return string_value(out);
         }},
        {"lower",
         [](const std::vector<Value>& a) {
             want("lower", a, 1);
             return string_value(map_bytes(text_of(a[0]), to_lower));
         }},
        {"upper",
         [](const std::vector<Value>& a) {
             want("upper", a, 1);
             return string_value(map_bytes(text_of(a[0]), to_upper));
         }},
        {"title",
         [](const std::vector<Value>& a) {
             want("title", a, 1);
             return string_value(title(text_of(a[0])));
         }},
        {"truncate",
         [](const std::vector<Value>& a) {
             want("truncate", a, 2);
             const std::string& text = text_of(a[0]);
             int64_t length = integer_of(a[1]);
             if (length < 0) length = 0;
             return string_value(
                 text.size() < static_cast<size_t>(length) ? text : text.substr(0, static_cast<size_t>(length)));
         }},
        {"pad",
         [](const std::vector<Value>& a) {
             want("pad", a, 3);
             const std::string& text = text_of(a[0]);
             int64_t before = integer_of(a[1]), after = integer_of(a[2]);
             if (text.empty()) return string_value("");
             return string_value(std::string(static_cast<size_t>(std::max<int64_t>(before, 0)), ' ') + text +
                                 std::string(static_cast<size_t>(std::max<int64_t>(after, 0)), ' '));
         }},
        {"split",
         [](const std::vector<Value>& a) {
             want("split", a, 2);
             const std::string& text = text_of(a[0]);
             const std::string& separator = text_of(a[1]);
             json out = json::array();
             if (separator.empty()) {
                 for (size_t i = 0; i < text.size();) {
                     unsigned char lead = static_cast<unsigned char>(text[i]);
                     size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
                     out.push_back(text.substr(i, length));
                     i += length;
                 }
             } else {
                 size_t start = 0;
                 for (size_t found; (found = text.find(separator, start)) != std::string::npos;) {
                     out.push_back(text.substr(start, found - start));
                     start = found + separator.size();
                 }
                 out.push_back(text.substr(start));
             }
             return Value{out, "[]string", false};
         }},
    };
    return table;
}

}  // namespace

Value call_function(std::string_view name, const std::vector<Value>& arguments) {
    auto found = functions().find(name);
    if (found == functions().end()) throw ArgumentError("\"" + std::string(name) + "\" is not a defined function");
    return found->second(arguments);
}

}  // namespace berth::gotemplate
