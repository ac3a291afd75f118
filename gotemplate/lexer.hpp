// Go text/template's lexer: splits a template into text and the tokens of its actions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace berth::gotemplate {

enum class TokenKind {
    text,
    left_delim,   // "{{" (trim markers already applied to the neighbouring text)
    right_delim,  // "}}"
    field,        // ".Name"
    variable,     // "$name" or "$"
    identifier,   // a function name
    keyword,      // if, else, end, range, with, break, continue, define, template, block, nil, true, false
    string,       // a quoted string, already unquoted
    number,       // a numeric literal as written
    character,    // 'c', value already decoded into `text`
    dot,          // "."
    pipe,         // "|"
    left_paren,
    right_paren,
    declare,  // ":="
    assign,   // "="
    comma,
    space,
    eof,
};

struct Token {
    TokenKind kind;
    std::string text;
    size_t position;  // byte offset in the template
    int line;         // 1-based line of the token's start
};

// Tokenizes `text`; throws TemplateError (a parse error of template `name`) on a lexical error.
std::vector<Token> lex(std::string_view name, std::string_view text);

}  // namespace berth::gotemplate
