// Docker's word processing for the instructions it expands (FROM, COPY, ADD, ENV, ARG, LABEL, EXPOSE, USER,
// WORKDIR, VOLUME, STOPSIGNAL, ONBUILD's not): quotes removed ('...' literal, "..." with $ expanded), the escape
// character taken away from the character after it, and $VAR, ${VAR}, ${VAR:-default}, ${VAR-default},
// ${VAR:+alternative}, ${VAR+alternative} and ${VAR:?message} replaced.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace berth::builder {

using Variables = std::map<std::string, std::string>;

struct WordOptions {
    char escape = '\\';
    std::set<std::string>* used = nullptr;  // receives the names of the variables read (set or not)
    bool only_variables = false;            // quotes stay; the escape character only escapes '$' (heredocs)
};

// The text as one word (blanks kept). Throws Error for an unterminated quote or ${, and for ${VAR:?message}.
std::string expand_word(std::string_view text, const Variables& variables, const WordOptions& options = {});

// The text as words split at unquoted blanks, each expanded.
std::vector<std::string> expand_words(std::string_view text, const Variables& variables,
                                      const WordOptions& options = {});

// Splits at unquoted blanks only, keeping quotes and escapes (for KEY=VALUE lists, expanded pair by pair).
std::vector<std::string> split_words(std::string_view text, char escape = '\\');

}  // namespace berth::builder
