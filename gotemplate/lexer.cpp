#include "gotemplate/lexer.hpp"

#include <cstdio>

#include "gotemplate/template.hpp"

namespace berth::gotemplate {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool is_alphanumeric(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           static_cast<unsigned char>(c) >= 0x80;
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void append_utf8(std::string& out, unsigned long code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
    }
}

class Lexer {
public:
    Lexer(std::string_view name, std::string_view text) : name_(name), text_(text) {}

    std::vector<Token> run() {
        while (position_ < text_.size()) lex_text();
        emit(TokenKind::eof, "", position_);
        return std::move(tokens_);
    }

private:
    [[noreturn]] void fail(const std::string& message) const {
        throw TemplateError("template: " + std::string(name_) + ":" + std::to_string(line_) + ": " + message,
                            Position{std::string(name_), line_, 0});
    }

    void emit(TokenKind kind, std::string value, size_t start) {
        tokens_.push_back(Token{kind, std::move(value), start, token_line_});
    }

    void advance_to(size_t position) {
        for (size_t i = position_; i < position && i < text_.size(); ++i)
            if (text_[i] == '\n') ++line_;
        position_ = position;
    }

    bool at(std::string_view what) const { return text_.substr(position_).starts_with(what); }

    void lex_text() {
        size_t open = text_.find("{{", position_);
        size_t end = open == std::string_view::npos ? text_.size() : open;
        bool trim_left = open != std::string_view::npos && open + 3 < text_.size() && text_[open + 2] == '-' &&
                         is_space(text_[open + 3]);
        size_t text_end = end;
        if (trim_left)
            while (text_end > position_ && is_space(text_[text_end - 1])) --text_end;
        token_line_ = line_;
        if (text_end > position_)
            emit(TokenKind::text, std::string(text_.substr(position_, text_end - position_)), position_);
        advance_to(end);
        if (open == std::string_view::npos) return;
        token_line_ = line_;
        emit(TokenKind::left_delim, "{{", position_);
        advance_to(position_ + (trim_left ? 4 : 2));
        if (at("/*")) return lex_comment();
        lex_action();
    }

    // After a right delimiter with a trim marker, the following spaces are dropped.
    void trim_following() {
        size_t next = position_;
        while (next < text_.size() && is_space(text_[next])) ++next;
        advance_to(next);
    }

    void lex_comment() {
        size_t close = text_.find("*/", position_ + 2);
        if (close == std::string_view::npos) fail("unclosed comment");
        advance_to(close + 2);
        bool trim = at(" -}}") || at("\t-}}") || at("\n-}}") || at("\r-}}");
        if (trim) advance_to(position_ + 2);
        if (!at("}}")) fail("comment ends before closing delimiter");
        advance_to(position_ + 2);
        tokens_.pop_back();  // the left delimiter: a comment is no action
        if (trim) trim_following();
    }

    void lex_action() {
        int parens = 0;
        for (;;) {
            token_line_ = line_;
            size_t start = position_;
            if (position_ >= text_.size()) fail("unclosed action");
            char c = text_[position_];
            if (is_space(c)) {
                size_t next = position_;
                while (next < text_.size() && is_space(text_[next])) ++next;
                if (text_.substr(next).starts_with("-}}")) {
                    if (parens > 0) fail("unclosed left paren");
                    advance_to(next);
                    token_line_ = line_;
                    emit(TokenKind::right_delim, "}}", position_);
                    advance_to(position_ + 3);
                    trim_following();
                    return;
                }
                advance_to(next);
                emit(TokenKind::space, " ", start);
                continue;
            }
            if (at("}}")) {
                if (parens > 0) fail("unclosed left paren");
                emit(TokenKind::right_delim, "}}", position_);
                advance_to(position_ + 2);
                return;
            }
            switch (c) {
                case '=':
                    emit(TokenKind::assign, "=", start);
                    advance_to(position_ + 1);
                    continue;
                case ':':
                    if (!at(":=")) fail("expected :=");
                    emit(TokenKind::declare, ":=", start);
                    advance_to(position_ + 2);
                    continue;
                case '|':
                    emit(TokenKind::pipe, "|", start);
                    advance_to(position_ + 1);
                    continue;
                case ',':
                    emit(TokenKind::comma, ",", start);
                    advance_to(position_ + 1);
                    continue;
                case '(':
                    ++parens;
                    emit(TokenKind::left_paren, "(", start);
                    advance_to(position_ + 1);
                    continue;
                case ')':
                    if (--parens < 0) fail("unexpected right paren U+0029 ')'");
                    emit(TokenKind::right_paren, ")", start);
                    advance_to(position_ + 1);
                    continue;
                case '"': lex_quote(); continue;
                case '`': lex_raw_quote(); continue;
                case '\'': lex_char(); continue;
                case '$': lex_word(TokenKind::variable, 1); continue;
                default: break;
            }
            if (c == '.') {
                if (position_ + 1 < text_.size() && is_digit(text_[position_ + 1])) {
                    lex_number();
                } else if (position_ + 1 < text_.size() && is_alphanumeric(text_[position_ + 1])) {
                    lex_word(TokenKind::field, 1);
                } else {
                    emit(TokenKind::dot, ".", start);
                    advance_to(position_ + 1);
                }
                continue;
            }
            if (c == '+' || c == '-' || is_digit(c)) {
                lex_number();
                continue;
            }
            if (is_alphanumeric(c)) {
                lex_identifier();
                continue;
            }
            unsigned char u = static_cast<unsigned char>(c);
            char message[64];
            if (u >= 0x20 && u < 0x7f)
                std::snprintf(message, sizeof message, "bad character U+%04X '%c'", u, c);
            else
                std::snprintf(message, sizeof message, "bad character U+%04X", u);
            fail(message);
        }
    }

    void lex_word(TokenKind kind, size_t prefix) {
        size_t end = position_ + prefix;
        while (end < text_.size() && is_alphanumeric(text_[end])) ++end;
        emit(kind, std::string(text_.substr(position_, end - position_)), position_);
        advance_to(end);
    }

    void lex_identifier() {
        size_t end = position_;
        while (end < text_.size() && is_alphanumeric(text_[end])) ++end;
        std::string word(text_.substr(position_, end - position_));
        static const char* keywords[] = {"if",     "else",  "end",      "range", "with", "break", "continue",
                                         "define", "block", "template", "nil",   "true", "false"};
        bool keyword = false;
        for (const char* k : keywords) keyword = keyword || word == k;
        emit(keyword ? TokenKind::keyword : TokenKind::identifier, word, position_);
        advance_to(end);
    }

    void lex_number() {
        size_t end = position_;
        if (text_[end] == '+' || text_[end] == '-') ++end;
        bool hex = text_.substr(end).starts_with("0x") || text_.substr(end).starts_with("0X");
        if (hex) end += 2;
        auto digit = [&](char c) {
            return is_digit(c) || c == '_' || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
        };
        while (end < text_.size() && digit(text_[end])) ++end;
        if (end < text_.size() && text_[end] == '.') {
            ++end;
            while (end < text_.size() && digit(text_[end])) ++end;
        }
        if (!hex && end < text_.size() && (text_[end] == 'e' || text_[end] == 'E')) {
            ++end;
            if (end < text_.size() && (text_[end] == '+' || text_[end] == '-')) ++end;
            while (end < text_.size() && is_digit(text_[end])) ++end;
        }
        if (end < text_.size() && is_alphanumeric(text_[end]))
            fail("bad number syntax: \"" + std::string(text_.substr(position_, end + 1 - position_)) + "\"");
        std::string number(text_.substr(position_, end - position_));
        if (number == "+" || number == "-") fail("bad number syntax: \"" + number + "\"");
        emit(TokenKind::number, number, position_);
        advance_to(end);
    }

    void lex_quote() {
        size_t start = position_;
        std::string value;
        size_t i = position_ + 1;
        for (;; ++i) {
            if (i >= text_.size() || text_[i] == '\n') fail("unterminated quoted string");
            char c = text_[i];
            if (c == '"') break;
            if (c != '\\') {
                value += c;
                continue;
            }
            if (++i >= text_.size()) fail("unterminated quoted string");
            i = unescape(i, value, '"');
        }
        emit(TokenKind::string, std::move(value), start);
        advance_to(i + 1);
    }

    // Decodes the escape at text_[i] (just after the backslash); returns the index of its last character.
    size_t unescape(size_t i, std::string& value, char quote) {
        char c = text_[i];
        switch (c) {
            case 'a': value += '\a'; return i;
            case 'b': value += '\b'; return i;
            case 'f': value += '\f'; return i;
            case 'n': value += '\n'; return i;
            case 'r': value += '\r'; return i;
            case 't': value += '\t'; return i;
            case 'v': value += '\v'; return i;
            case '\\': value += '\\'; return i;
            default: break;
        }
        if (c == quote) {
            value += c;
            return i;
        }
        size_t digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : (c >= '0' && c <= '7') ? 3 : 0;
        if (digits == 0 || i + digits >= text_.size() + (c >= '0' && c <= '7' ? 1 : 0)) fail("invalid syntax");
        size_t first = (c >= '0' && c <= '7') ? i : i + 1;
        std::string code(text_.substr(first, digits));
        unsigned long number = std::stoul(code, nullptr, (c >= '0' && c <= '7') ? 8 : 16);
        if (c == 'x' || (c >= '0' && c <= '7'))
            value += static_cast<char>(number);
        else
            append_utf8(value, number);
        return first + digits - 1;
    }

    void lex_raw_quote() {
        size_t close = text_.find('`', position_ + 1);
        if (close == std::string_view::npos) fail("unterminated raw quoted string");
        emit(TokenKind::string, std::string(text_.substr(position_ + 1, close - position_ - 1)), position_);
        advance_to(close + 1);
    }

    void lex_char() {
        size_t start = position_;
        size_t i = position_ + 1;
        std::string value;
        if (i >= text_.size() || text_[i] == '\n') fail("unterminated character constant");
        if (text_[i] == '\\') {
            i = unescape(i + 1, value, '\'') + 1;
        } else {
            unsigned char lead = static_cast<unsigned char>(text_[i]);
            size_t length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
            value = std::string(text_.substr(i, length));
            i += length;
        }
        if (i >= text_.size() || text_[i] != '\'') fail("unterminated character constant");
        emit(TokenKind::character, std::move(value), start);
        advance_to(i + 1);
    }

    std::string_view name_;
    std::string_view text_;
    size_t position_ = 0;
    int line_ = 1;
    int token_line_ = 1;
    std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex(std::string_view name, std::string_view text) { return Lexer(name, text).run(); }

}  // namespace berth::gotemplate
