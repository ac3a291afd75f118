#include "gotemplate/parser.hpp"

#include <algorithm>

#include "gotemplate/lexer.hpp"
#include "gotemplate/template.hpp"

namespace berth::gotemplate {

std::string Command::source() const {
    std::string out;
    for (const auto& argument : arguments) {
        if (!out.empty()) out += ' ';
        out += argument.source;
    }
    return out;
}

std::string Pipeline::source() const {
    std::string out;
    if (!variables.empty()) {
        for (size_t i = 0; i < variables.size(); ++i) out += (i ? ", " : "") + variables[i];
        out += assignment ? " = " : " := ";
    }
    for (size_t i = 0; i < commands.size(); ++i) out += (i ? " | " : "") + commands[i].source();
    return out;
}

bool is_function(std::string_view name) {
    static const char* names[] = {"and",     "html",     "index", "slice", "len",      "not", "or",   "print", "printf",
                                  "println", "urlquery", "eq",    "ge",    "gt",       "le",  "lt",   "ne",    "json",
                                  "join",    "lower",    "upper", "title", "truncate", "pad", "split"};
    return std::any_of(std::begin(names), std::end(names), [&](const char* known) { return name == known; });
}

namespace {

class Parser {
public:
    Parser(std::string name, std::string_view text) : name_(std::move(name)), text_(text), tokens_(lex(name_, text)) {
        for (size_t i = 0; i + 1 < tokens_.size(); ++i)
            raw_.push_back(
                std::string(text_.substr(tokens_[i].position, tokens_[i + 1].position - tokens_[i].position)));
        raw_.emplace_back();
    }

    Tree run() {
        Tree tree{name_, std::string(text_), {}};
        variables_ = {"$"};
        Token stop;
        tree.root = list(stop);
        if (stop.kind != TokenKind::eof) fail("unexpected {{" + stop.text + "}}");
        return tree;
    }

private:
    [[noreturn]] void fail(const std::string& message) const {
        int line = tokens_[std::min(index_ == 0 ? 0 : index_ - 1, tokens_.size() - 1)].line;
        throw TemplateError("template: " + name_ + ":" + std::to_string(line) + ": " + message,
                            Position{name_, line, 0});
    }

    const Token& next() { return tokens_[index_ < tokens_.size() - 1 ? index_++ : index_]; }
    const Token& peek() const { return tokens_[index_]; }
    void backup() { --index_; }
    const Token& next_non_space() {
        while (peek().kind == TokenKind::space) next();
        return next();
    }
    const Token& peek_non_space() {
        while (peek().kind == TokenKind::space) next();
        return peek();
    }
    bool is_keyword(const Token& token, std::string_view word) const {
        return token.kind == TokenKind::keyword && token.text == word;
    }

    std::string describe(const Token& token) const {
        switch (token.kind) {
            case TokenKind::eof: return "EOF";
            case TokenKind::keyword: return "<" + token.text + ">";
            case TokenKind::right_delim: return "\"}}\"";
            case TokenKind::left_delim: return "\"{{\"";
            default: return "\"" + raw_[index_ - 1] + "\"";
        }
    }
    [[noreturn]] void unexpected(const Token& token, const std::string& context) {
        fail("unexpected " + describe(token) + " in " + context);
    }

    // Parses nodes until EOF or an {{end}} / {{else}} action, returned in `stop`.
    std::vector<Node> list(Token& stop) {
        std::vector<Node> nodes;
        for (;;) {
            const Token& token = next();
            if (token.kind == TokenKind::eof) {
                stop = token;
                return nodes;
            }
            if (token.kind == TokenKind::text) {
                Node node;
                node.kind = Node::Kind::text;
                node.position = token.position;
                node.text = token.text;
                nodes.push_back(std::move(node));
                continue;
            }
            const Token& word = next_non_space();
            if (is_keyword(word, "end") || is_keyword(word, "else")) {
                stop = word;
                return nodes;
            }
            nodes.push_back(action(word));
        }
    }

    Node action(const Token& word) {
        if (word.kind == TokenKind::keyword) {
            if (word.text == "if") return control(Node::Kind::if_block, "if", word.position);
            if (word.text == "range") return control(Node::Kind::range_block, "range", word.position);
            if (word.text == "with") return control(Node::Kind::with_block, "with", word.position);
            if (word.text == "break" || word.text == "continue") return loop_control(word);
            if (word.text == "define" || word.text == "template" || word.text == "block")
                fail("{{" + word.text + "}} is not supported");
        }
        backup();
        Node node;
        node.kind = Node::Kind::action;
        node.position = peek().position;
        node.pipeline = pipeline("command", TokenKind::right_delim);
        return node;
    }

    Node loop_control(const Token& word) {
        if (range_depth_ == 0) fail("{{" + word.text + "}} outside {{range}}");
        if (next_non_space().kind != TokenKind::right_delim) fail("unexpected token in {{" + word.text + "}}");
        Node node;
        node.kind = word.text == "break" ? Node::Kind::break_loop : Node::Kind::continue_loop;
        node.position = word.position;
        return node;
    }

    Node control(Node::Kind kind, const std::string& context, size_t position) {
        size_t scope = variables_.size();
        Node node;
        node.kind = kind;
        node.position = position;
        node.pipeline = pipeline(context, TokenKind::right_delim);
        if (kind == Node::Kind::range_block) ++range_depth_;
        Token stop;
        node.list = list(stop);
        if (kind == Node::Kind::range_block) --range_depth_;
        if (stop.kind == TokenKind::eof) fail("unexpected EOF");
        if (stop.text == "else") {
            const Token& after = peek_non_space();
            if (kind == Node::Kind::if_block && is_keyword(after, "if")) {
                // {{else if X}} is {{else}}{{if X}}...{{end}}{{end}} sharing one {{end}}.
                next();
                node.else_list.push_back(control(Node::Kind::if_block, "if", after.position));
                variables_.resize(scope);
                return node;
            }
            if (next_non_space().kind != TokenKind::right_delim) fail("unexpected token in else");
            node.else_list = list(stop);
            if (stop.kind == TokenKind::eof) fail("unexpected EOF");
            if (stop.text != "end") fail("expected end; found {{else}}");
        }
        if (next_non_space().kind != TokenKind::right_delim) fail("unexpected token in end");
        variables_.resize(scope);
        return node;
    }

    Pipeline pipeline(const std::string& context, TokenKind end) {
        Pipeline pipe;
        pipe.position = peek_non_space().position;
        declarations(pipe, context);
        for (;;) {
            const Token& token = next_non_space();
            if (token.kind == end) {
                if (pipe.commands.empty()) fail("missing value for " + context);
                return pipe;
            }
            switch (token.kind) {
                case TokenKind::keyword:
                    if (token.text != "nil" && token.text != "true" && token.text != "false")
                        unexpected(token, context);
                    [[fallthrough]];
                case TokenKind::character:
                case TokenKind::dot:
                case TokenKind::field:
                case TokenKind::identifier:
                case TokenKind::left_paren:
                case TokenKind::number:
                case TokenKind::string:
                case TokenKind::variable:
                    backup();
                    pipe.commands.push_back(command());
                    break;
                default: unexpected(token, context);
            }
        }
    }

    void declarations(Pipeline& pipe, const std::string& context) {
        if (peek_non_space().kind != TokenKind::variable) return;
        size_t start = index_;
        const Token& variable = next();
        while (peek().kind == TokenKind::space) next();
        const Token& after = peek();
        if (after.kind == TokenKind::declare || after.kind == TokenKind::assign) {
            next();
            pipe.assignment = after.kind == TokenKind::assign;
            if (pipe.assignment && !defined(variable.text)) fail("undefined variable \"" + variable.text + "\"");
            pipe.variables.push_back(variable.text);
            if (!pipe.assignment) variables_.push_back(variable.text);
            return;
        }
        if (after.kind == TokenKind::comma && context == "range") {
            next();
            pipe.variables.push_back(variable.text);
            variables_.push_back(variable.text);
            if (peek_non_space().kind != TokenKind::variable) fail("range can only initialize variables");
            const Token& second = next();
            if (next_non_space().kind != TokenKind::declare) fail("range can only initialize variables");
            pipe.variables.push_back(second.text);
            variables_.push_back(second.text);
            return;
        }
        if (after.kind == TokenKind::comma) fail("too many declarations in " + context);
        index_ = start;
    }

    bool defined(const std::string& name) const {
        return std::find(variables_.begin(), variables_.end(), name) != variables_.end();
    }

    Command command() {
        Command cmd;
        cmd.position = peek_non_space().position;
        for (;;) {
            peek_non_space();
            if (auto argument = operand()) cmd.arguments.push_back(std::move(*argument));
            const Token& token = next();
            if (token.kind == TokenKind::space) continue;
            if (token.kind == TokenKind::right_delim || token.kind == TokenKind::right_paren) {
                backup();
            } else if (token.kind != TokenKind::pipe) {
                unexpected(token, "operand");
            } else if (peek_non_space().kind == TokenKind::right_delim ||
                       peek_non_space().kind == TokenKind::right_paren) {
                fail("missing command");
            }
            break;
        }
        if (cmd.arguments.empty()) fail("empty command");
        return cmd;
    }

    std::optional<Argument> operand() {
        auto argument = term();
        if (!argument) return argument;
        if (peek().kind != TokenKind::field) return argument;
        size_t chain_position = peek().position;
        std::vector<std::string> fields;
        while (peek().kind == TokenKind::field) fields.push_back(next().text.substr(1));
        switch (argument->kind) {
            case Argument::Kind::field:
            case Argument::Kind::variable:
            case Argument::Kind::pipeline: break;
            case Argument::Kind::literal:
            case Argument::Kind::nil:
            case Argument::Kind::dot:
            case Argument::Kind::function: fail("unexpected . after term \"" + argument->source + "\"");
        }
        argument->fields.insert(argument->fields.end(), fields.begin(), fields.end());
        argument->position = chain_position;
        for (const auto& field : fields) argument->source += "." + field;
        return argument;
    }

    std::optional<Argument> term() {
        const Token& token = next_non_space();
        Argument argument;
        argument.position = token.position;
        argument.source = raw_[index_ - 1];
        while (!argument.source.empty() &&
               std::string_view(" \t\r\n").find(argument.source.back()) != std::string::npos)
            argument.source.pop_back();
        switch (token.kind) {
            case TokenKind::identifier:
                if (!is_function(token.text)) fail("function \"" + token.text + "\" not defined");
                argument.kind = Argument::Kind::function;
                argument.name = token.text;
                return argument;
            case TokenKind::dot: argument.kind = Argument::Kind::dot; return argument;
            case TokenKind::variable:
                if (!defined(token.text)) fail("undefined variable \"" + token.text + "\"");
                argument.kind = Argument::Kind::variable;
                argument.name = token.text;
                return argument;
            case TokenKind::field:
                argument.kind = Argument::Kind::field;
                argument.fields = {token.text.substr(1)};
                return argument;
            case TokenKind::keyword:
                if (token.text == "nil") {
                    argument.kind = Argument::Kind::nil;
                    return argument;
                }
                if (token.text == "true" || token.text == "false") {
                    argument.literal = token.text == "true";
                    return argument;
                }
                break;
            case TokenKind::number: argument.literal = number(token.text); return argument;
            case TokenKind::character: argument.literal = character(token.text); return argument;
            case TokenKind::string: argument.literal = token.text; return argument;
            case TokenKind::left_paren: {
                argument.kind = Argument::Kind::pipeline;
                argument.pipeline =
                    std::make_shared<Pipeline>(pipeline("parenthesized pipeline", TokenKind::right_paren));
                argument.source = "(" + argument.pipeline->source() + ")";
                return argument;
            }
            default: break;
        }
        backup();
        return std::nullopt;
    }

    nlohmann::json number(const std::string& text) {
        std::string digits;
        for (char c : text)
            if (c != '_') digits += c;
        try {
            size_t used = 0;
            bool hex = digits.find("0x") != std::string::npos || digits.find("0X") != std::string::npos;
            bool floating = !hex && digits.find_first_of(".eE") != std::string::npos;
            if (!floating) {
                long long value = std::stoll(digits, &used, 0);
                if (used == digits.size()) return value;
            } else {
                double value = std::stod(digits, &used);
                if (used == digits.size()) return value;
            }
        } catch (const std::exception&) {
        }
        fail("illegal number syntax: \"" + text + "\"");
    }

    static long long character(const std::string& utf8) {
        auto byte = [&](size_t i) { return static_cast<unsigned char>(utf8[i]); };
        if (utf8.size() == 1) return byte(0);
        if (utf8.size() == 2) return ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
        if (utf8.size() == 3) return ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
        return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) | (byte(3) & 0x3F);
    }

    std::string name_;
    std::string_view text_;
    std::vector<Token> tokens_;
    std::vector<std::string> raw_;
    size_t index_ = 0;
    std::vector<std::string> variables_;
    int range_depth_ = 0;
};

}  // namespace

Tree parse_tree(std::string name, std::string_view text) { return Parser(std::move(name), text).run(); }

}  // namespace berth::gotemplate
