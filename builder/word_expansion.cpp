#include "builder/word_expansion.hpp"

#include <cctype>

#include "common/error.hpp"

namespace berth::builder {
namespace {

bool is_name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class Expander {
public:
    Expander(std::string_view text, const Variables& variables, const WordOptions& options)
        : text_(text), variables_(variables), options_(options) {}

    // Words split at unquoted blanks (split) or the whole text as one word.
    std::vector<std::string> run(bool split) {
        std::vector<std::string> words;
        std::string word;
        bool have_word = false;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (split && is_blank(c)) {
                if (have_word) words.push_back(std::move(word));
                word.clear();
                have_word = false;
                ++pos_;
                continue;
            }
            have_word = true;
            if (options_.only_variables) {
                if (c == options_.escape && pos_ + 1 < text_.size() && text_[pos_ + 1] == '$') {
                    word += '$';
                    pos_ += 2;
                } else if (c == '$') {
                    word += dollar();
                } else {
                    word += c;
                    ++pos_;
                }
            } else if (c == '\'') {
                word += single_quoted();
            } else if (c == '"') {
                word += double_quoted();
            } else if (c == options_.escape) {
                ++pos_;
                if (pos_ < text_.size())
                    word += text_[pos_++];
                else
                    word += options_.escape;
            } else if (c == '$') {
                word += dollar();
            } else {
                word += c;
                ++pos_;
            }
        }
        if (have_word || !split) words.push_back(std::move(word));
        return words;
    }

private:
    std::string single_quoted() {
        size_t end = text_.find('\'', pos_ + 1);
        if (end == std::string_view::npos)
            throw Error("unexpected end of statement while looking for matching single-quote");
        std::string out(text_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return out;
    }

    std::string double_quoted() {
        std::string out;
        ++pos_;
        while (pos_ < text_.size()) {
            char c = text_[pos_];
            if (c == '"') {
                ++pos_;
                return out;
            }
            if (c == options_.escape && pos_ + 1 < text_.size()) {
                char next = text_[pos_ + 1];
                if (next == '"' || next == '$' || next == options_.escape) {
                    out += next;
                    pos_ += 2;
                    continue;
                }
            }
            if (c == '$') {
                out += dollar();
                continue;
            }
            out += c;
            ++pos_;
        }
        throw Error("unexpected end of statement while looking for matching double-quote");
    }

    const std::string* lookup(const std::string& name) {
        if (options_.used) options_.used->insert(name);
        auto found = variables_.find(name);
        return found == variables_.end() ? nullptr : &found->second;
    }

    // At '$': a variable's value, or '$' itself when no name follows.
    std::string dollar() {
        ++pos_;
        if (pos_ >= text_.size()) return "$";
        if (text_[pos_] == '{') return braced();
        if (!is_name_start(text_[pos_])) return "$";
        size_t start = pos_;
        while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
        const std::string* value = lookup(std::string(text_.substr(start, pos_ - start)));
        return value ? *value : "";
    }

    // The word inside ${NAME<op>word}, expanded, up to the closing brace.
    std::string operand() {
        std::string out;
        while (pos_ < text_.size() && text_[pos_] != '}') {
            char c = text_[pos_];
            if (c == '$') {
                out += dollar();
            } else if (c == '\'') {
                out += single_quoted();
            } else if (c == '"') {
                out += double_quoted();
            } else if (c == options_.escape && pos_ + 1 < text_.size()) {
                out += text_[pos_ + 1];
                pos_ += 2;
            } else {
                out += c;
                ++pos_;
            }
        }
        if (pos_ >= text_.size()) throw Error("missing '}' in variable substitution");
        return out;
    }

    std::string braced() {
        ++pos_;  // '{'
        size_t start = pos_;
        while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
        std::string name(text_.substr(start, pos_ - start));
        if (name.empty() || pos_ >= text_.size())
            throw Error("bad substitution: ${" + std::string(text_.substr(start)));
        const std::string* value = lookup(name);
        if (text_[pos_] == '}') {
            ++pos_;
            return value ? *value : "";
        }
        bool colon = text_[pos_] == ':';
        if (colon) ++pos_;
        if (pos_ >= text_.size()) throw Error("missing '}' in variable substitution");
        char op = text_[pos_++];
        if (op != '-' && op != '+' && op != '?')
            throw Error("unsupported modifier (" + std::string(1, op) + ") in substitution ${" + name);
        std::string word = operand();
        ++pos_;  // '}'
        bool set = value && (!colon || !value->empty());
        if (op == '-') return set ? *value : word;
        if (op == '+') return set ? word : "";
        if (!set) throw Error(name + ": " + (word.empty() ? "is not allowed to be unset" : word));
        return *value;
    }

    std::string_view text_;
    const Variables& variables_;
    const WordOptions& options_;
    size_t pos_ = 0;
};

}  // namespace

std::string expand_word(std::string_view text, const Variables& variables, const WordOptions& options) {
    return Expander(text, variables, options).run(false).front();
}

std::vector<std::string> expand_words(std::string_view text, const Variables& variables, const WordOptions& options) {
    return Expander(text, variables, options).run(true);
}

std::vector<std::string> split_words(std::string_view text, char escape) {
    std::vector<std::string> words;
    std::string word;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quote == 0 && is_blank(c)) {
            if (!word.empty()) words.push_back(std::move(word));
            word.clear();
            continue;
        }
        word += c;
        if (c == escape && quote != '\'' && i + 1 < text.size()) {
            word += text[++i];
        } else if (quote == 0 && (c == '\'' || c == '"')) {
            quote = c;
        } else if (c == quote) {
            quote = 0;
        }
    }
    if (!word.empty()) words.push_back(std::move(word));
    return words;
}

}  // namespace berth::builder
