#include "cli/output/go_template.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;

enum class NodeKind { text, value, range, condition };

struct Node {
    NodeKind kind = NodeKind::text;
    std::string text;  // literal text, or the action's source for values/range/if
    std::vector<Node> body;
    std::vector<Node> otherwise;  // the {{else}} branch of an if
};

[[noreturn]] void template_error(std::string_view what, std::string_view action) {
    throw Error("template: " + std::string(what) + " in {{" + std::string(action) + "}}");
}

std::string unescape_text(std::string_view text) {
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 't' || text[i + 1] == 'n')) {
            out += text[i + 1] == 't' ? '\t' : '\n';
            ++i;
        } else {
            out += text[i];
        }
    }
    return out;
}

// Splits the template into literal text and actions ("{{...}}", with trim markers applied).
struct Token {
    bool action = false;
    std::string text;
};

std::vector<Token> tokenize(std::string_view text) {
    std::vector<Token> tokens;
    size_t position = 0;
    while (position < text.size()) {
        size_t open = text.find("{{", position);
        std::string literal(text.substr(position, open == std::string_view::npos ? text.npos : open - position));
        if (open == std::string_view::npos) {
            tokens.push_back({false, unescape_text(literal)});
            break;
        }
        size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) throw Error("template: unclosed action: " + std::string(text));
        std::string_view inner = text.substr(open + 2, close - open - 2);
        if (inner.starts_with("-")) {
            auto last = literal.find_last_not_of(" \t\r\n");
            literal.erase(last == std::string::npos ? 0 : last + 1);
        }
        tokens.push_back({false, unescape_text(literal)});
        bool trim_after = inner.ends_with("-");
        if (inner.starts_with("-")) inner.remove_prefix(1);
        if (trim_after) inner.remove_suffix(1);
        tokens.push_back({true, std::string(trim(inner))});
        position = close + 2;
        if (trim_after)
            while (position < text.size() && std::string_view(" \t\r\n").find(text[position]) != std::string_view::npos)
                ++position;
    }
    return tokens;
}

// Parses tokens into nodes until {{end}} or {{else}} (returned in `stopped_at`), or the end.
std::vector<Node> parse_nodes(const std::vector<Token>& tokens, size_t& index, std::string& stopped_at) {
    std::vector<Node> nodes;
    while (index < tokens.size()) {
        const Token& token = tokens[index++];
        if (!token.action) {
            if (!token.text.empty()) nodes.push_back({NodeKind::text, token.text, {}, {}});
            continue;
        }
        if (token.text == "end" || token.text == "else") {
            stopped_at = token.text;
            return nodes;
        }
        bool is_range = token.text.starts_with("range ");
        bool is_if = token.text.starts_with("if ");
        if (!is_range && !is_if) {
            nodes.push_back({NodeKind::value, token.text, {}, {}});
            continue;
        }
        Node block{is_range ? NodeKind::range : NodeKind::condition,
                   std::string(trim(token.text.substr(is_range ? 6 : 3))),
                   {},
                   {}};
        std::string stop;
        block.body = parse_nodes(tokens, index, stop);
        if (stop == "else" && is_if) block.otherwise = parse_nodes(tokens, index, stop);
        if (stop != "end") template_error("missing {{end}}", token.text);
        nodes.push_back(std::move(block));
    }
    stopped_at.clear();
    return nodes;
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return std::tolower(x) == std::tolower(y); });
}

json field(const json& data, std::string_view path, std::string_view action) {
    if (path == ".") return data;
    if (!path.starts_with(".")) template_error("unknown function or value \"" + std::string(path) + "\"", action);
    json current = data;
    for (const auto& name : split(path.substr(1), '.')) {
        if (!current.is_object()) template_error("can't evaluate field " + name, action);
        auto found = current.find(name);
        if (found == current.end()) {
            for (auto it = current.begin(); it != current.end(); ++it)
                if (same_name(it.key(), name)) found = it;
        }
        if (found == current.end()) template_error("can't evaluate field " + name, action);
        current = *found;
    }
    return current;
}

std::string print_value(const json& value) {
    if (value.is_null()) return "<no value>";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_array()) {
        std::string out = "[";
        for (const auto& item : value) out += (out.size() > 1 ? " " : "") + print_value(item);
        return out + "]";
    }
    return value.dump();
}

json evaluate(const std::string& action, const json& data) {
    auto words = split(action, ' ');
    words.erase(std::remove(words.begin(), words.end(), std::string()), words.end());
    if (words.size() == 1) return field(data, words[0], action);
    if (words.size() == 2) {
        json argument = field(data, words[1], action);
        if (words[0] == "json") return argument.dump();
        std::string text = print_value(argument);
        if (words[0] == "upper" || words[0] == "lower") {
            std::transform(text.begin(), text.end(), text.begin(),
                           [&](unsigned char c) { return words[0] == "upper" ? std::toupper(c) : std::tolower(c); });
            return text;
        }
        template_error("function \"" + words[0] + "\" not defined", action);
    }
    template_error("unsupported action", action);
}

bool truthy(const json& value) {
    if (value.is_null()) return false;
    if (value.is_boolean()) return value.get<bool>();
    if (value.is_number()) return value.get<double>() != 0;
    if (value.is_string() || value.is_array() || value.is_object()) return !value.empty();
    return true;
}

void render_nodes(const std::vector<Node>& nodes, const json& data, std::string& out) {
    for (const auto& node : nodes) {
        switch (node.kind) {
            case NodeKind::text: out += node.text; break;
            case NodeKind::value: out += print_value(evaluate(node.text, data)); break;
            case NodeKind::condition:
                render_nodes(truthy(evaluate(node.text, data)) ? node.body : node.otherwise, data, out);
                break;
            case NodeKind::range: {
                json items = evaluate(node.text, data);
                if (!items.is_array() && !items.is_object() && !items.is_null())
                    template_error("range can't iterate over " + print_value(items), node.text);
                for (const auto& item : items) render_nodes(node.body, item, out);
                break;
            }
        }
    }
}

}  // namespace

std::string render_template(std::string_view text, const json& data) {
    auto tokens = tokenize(text);
    size_t index = 0;
    std::string stopped_at;
    auto nodes = parse_nodes(tokens, index, stopped_at);
    if (!stopped_at.empty()) throw Error("template: unexpected {{" + stopped_at + "}}");
    std::string out;
    render_nodes(nodes, data, out);
    return out;
}

}  // namespace berth::cli
