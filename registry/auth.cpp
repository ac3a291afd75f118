#include "registry/auth.hpp"

#include <nlohmann/json.hpp>

#include "common/error.hpp"

namespace berth::registry {

namespace {

constexpr std::string_view header_name = "WWW-Authenticate";

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_space(char c) { return c == ' ' || c == '\t'; }

// RFC 9110 tchar, plus '/' so that token68 credentials read as one word.
bool is_token_char(char c) {
    return is_letter(c) || is_digit(c) || std::string_view("!#$%&'*+-.^_`|~/").find(c) != std::string_view::npos;
}

std::string to_lower(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return lower;
}

// A cursor over one WWW-Authenticate value.
class ChallengeParser {
public:
    explicit ChallengeParser(std::string_view text) : text_(text) {}

    std::vector<Challenge> parse() {
        std::vector<Challenge> challenges;
        bool after_scheme = false;  // the previous item was a scheme, with no comma since
        for (;;) {
            bool comma = skip_separators();
            if (at_end()) break;
            if (comma) after_scheme = false;
            std::string_view word = read_token();
            if (word.empty()) fail("unexpected character '" + std::string(1, peek()) + "'");
            skip_spaces();
            if (peek() != '=') {
                challenges.push_back(Challenge{to_lower(word), {}, {}});
                after_scheme = true;
                continue;
            }
            if (challenges.empty()) fail("parameter \"" + std::string(word) + "\" before an authentication scheme");
            Challenge& challenge = challenges.back();
            size_t equals = count_equals();
            if (after_scheme && (equals > 1 || next_is_end_of_item())) {
                // `Scheme token68=`: credentials rather than a parameter.
                challenge.token68 = std::string(word) + std::string(equals, '=');
                after_scheme = false;
                continue;
            }
            if (equals > 1) fail("unexpected '=' in parameter \"" + std::string(word) + "\"");
            skip_spaces();
            std::string value = peek() == '"' ? read_quoted() : std::string(read_unquoted());
            challenge.parameters[to_lower(word)] = std::move(value);
            after_scheme = false;
            // A parameter ends at a comma, at the end, or (leniently) at a space before the next challenge.
            if (!at_end() && peek() != ',' && !is_space(peek())) {
                fail("expected ',' after parameter \"" + std::string(word) + "\"");
            }
        }
        return challenges;
    }

private:
    [[noreturn]] void fail(const std::string& why) const {
        throw Error("invalid " + std::string(header_name) + " header: " + why + ": \"" + std::string(text_) + "\"");
    }

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }

    void skip_spaces() {
        while (!at_end() && is_space(text_[pos_])) ++pos_;
    }

    // Skips spaces and commas; whether there was a comma.
    bool skip_separators() {
        bool comma = false;
        while (!at_end() && (is_space(text_[pos_]) || text_[pos_] == ',')) {
            comma = comma || text_[pos_] == ',';
            ++pos_;
        }
        return comma;
    }

    std::string_view read_token() {
        size_t start = pos_;
        while (!at_end() && is_token_char(text_[pos_])) ++pos_;
        return text_.substr(start, pos_ - start);
    }

    size_t count_equals() {
        size_t start = pos_;
        while (!at_end() && text_[pos_] == '=') ++pos_;
        return pos_ - start;
    }

    // Whether only spaces stand between here and a comma or the end.
    bool next_is_end_of_item() const {
        size_t i = pos_;
        while (i < text_.size() && is_space(text_[i])) ++i;
        return i >= text_.size() || text_[i] == ',';
    }

    // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
    std::string read_quoted() {
        ++pos_;  // the opening quote
        std::string value;
        for (;;) {
            if (at_end()) fail("unterminated quoted string");
            char c = text_[pos_++];
            if (c == '"') return value;
            if (c == '\\') {
                if (at_end()) fail("unterminated quoted string");
                c = text_[pos_++];
            }
            value += c;
        }
    }

    // A bare value: everything up to a comma or a space.
    std::string_view read_unquoted() {
        size_t start = pos_;
        while (!at_end() && text_[pos_] != ',' && !is_space(text_[pos_])) {
            if (text_[pos_] == '"') fail("unexpected '\"' in a bare parameter value");
            ++pos_;
        }
        return text_.substr(start, pos_ - start);
    }

    std::string_view text_;
    size_t pos_ = 0;
};

// RFC 3986 percent-encoding of everything but the unreserved characters.
std::string url_escape(std::string_view text) {
    static constexpr char hex_digits[] = "0123456789ABCDEF";
    std::string escaped;
    for (char c : text) {
        if (is_letter(c) || is_digit(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            escaped += c;
        } else {
            auto byte = static_cast<unsigned char>(c);
            escaped += '%';
            escaped += hex_digits[byte >> 4];
            escaped += hex_digits[byte & 0x0f];
        }
    }
    return escaped;
}

std::string status_text(long status) {
    switch (status) {
        case 401: return "authentication required";
        case 403: return "requested access to the resource is denied";
        default: return "received unexpected HTTP status: " + std::to_string(status);
    }
}

std::string string_field(const nlohmann::json& object, const char* name) {
    auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string Challenge::parameter(std::string_view name) const {
    auto it = parameters.find(to_lower(name));
    return it == parameters.end() ? std::string() : it->second;
}

std::vector<Challenge> parse_www_authenticate(std::string_view value) { return ChallengeParser(value).parse(); }

std::optional<Challenge> choose_challenge(const std::vector<Challenge>& challenges) {
    for (const char* scheme : {"bearer", "basic"}) {
        for (const Challenge& challenge : challenges) {
            if (challenge.scheme == scheme) return challenge;
        }
    }
    return std::nullopt;
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string encoded;
    encoded.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        unsigned group = static_cast<unsigned char>(bytes[i]) << 16 | static_cast<unsigned char>(bytes[i + 1]) << 8 |
                         static_cast<unsigned char>(bytes[i + 2]);
        encoded += alphabet[(group >> 18) & 63];
        encoded += alphabet[(group >> 12) & 63];
        encoded += alphabet[(group >> 6) & 63];
        encoded += alphabet[group & 63];
    }
    size_t rest = bytes.size() - i;
    if (rest > 0) {
        unsigned group = static_cast<unsigned char>(bytes[i]) << 16;
        if (rest == 2) group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        encoded += alphabet[(group >> 18) & 63];
        encoded += alphabet[(group >> 12) & 63];
        encoded += rest == 2 ? alphabet[(group >> 6) & 63] : '=';
        encoded += '=';
    }
    return encoded;
}

std::string basic_authorization(const Credentials& credentials) {
    return "Basic " + base64_encode(credentials.username + ":" + credentials.password);
}

std::string pull_scope(std::string_view repository) { return "repository:" + std::string(repository) + ":pull"; }

std::string push_scope(std::string_view repository) { return "repository:" + std::string(repository) + ":pull,push"; }

std::string token_url(const Challenge& challenge, std::string_view default_scope,
                      const std::optional<Credentials>& credentials) {
    std::string realm = challenge.parameter("realm");
    if (realm.empty()) throw Error("invalid Bearer challenge: no realm");
    if (!realm.starts_with("https://") && !realm.starts_with("http://")) {
        throw Error("invalid Bearer challenge: realm \"" + realm + "\" is not an http or https URL");
    }
    std::string url = realm;
    char separator = realm.find('?') == std::string::npos ? '?' : '&';
    auto add = [&](std::string_view name, std::string_view value) {
        url += separator;
        url += name;
        url += '=';
        url += url_escape(value);
        separator = '&';
    };
    std::string service = challenge.parameter("service");
    if (!service.empty()) add("service", service);
    std::string scopes = challenge.parameter("scope");
    if (scopes.find_first_not_of(' ') == std::string::npos) scopes = std::string(default_scope);
    size_t start = 0;
    while (start < scopes.size()) {
        size_t end = scopes.find(' ', start);
        if (end == std::string::npos) end = scopes.size();
        if (end > start) add("scope", std::string_view(scopes).substr(start, end - start));
        start = end + 1;
    }
    if (credentials && !credentials->username.empty()) add("account", credentials->username);
    return url;
}

std::string parse_token_reply(std::string_view body, std::string_view realm) {
    std::string context = "getting a token from " + std::string(realm);
    auto reply = nlohmann::json::parse(body, nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) throw Error(context + ": the reply is not a JSON object");
    for (const char* field : {"token", "access_token"}) {
        std::string token = string_field(reply, field);
        if (!token.empty()) return token;
    }
    throw Error(context + ": the reply holds no token");
}

std::string registry_error_text(std::string_view body) {
    auto reply = nlohmann::json::parse(body, nullptr, false);
    if (reply.is_discarded() || !reply.is_object()) return {};
    auto errors = reply.find("errors");
    if (errors != reply.end() && errors->is_array()) {
        std::string text;
        for (const auto& error : *errors) {
            if (!error.is_object()) continue;
            std::string code = to_lower(string_field(error, "code"));
            for (char& c : code) {
                if (c == '_') c = ' ';
            }
            std::string message = string_field(error, "message");
            std::string piece = code.empty()                                   ? message
                                : message.empty() || to_lower(message) == code ? code
                                                                               : code + ": " + message;
            if (piece.empty()) continue;
            if (!text.empty()) text += "; ";
            text += piece;
        }
        return text;
    }
    std::string details = string_field(reply, "details");
    if (!details.empty()) return details;
    std::string error = string_field(reply, "error");
    std::string description = string_field(reply, "error_description");
    if (!error.empty()) return description.empty() ? error : error + ": " + description;
    return string_field(reply, "message");
}

std::string fetch_bearer_token(const Challenge& challenge, std::string_view default_scope,
                               const std::optional<Credentials>& credentials, const TokenGetter& get) {
    std::string url = token_url(challenge, default_scope, credentials);
    std::string realm = challenge.parameter("realm");
    std::string context = "getting a token from " + realm;
    TokenReply reply;
    try {
        reply = get(url, credentials ? basic_authorization(*credentials) : std::string());
    } catch (const Error& error) {
        throw Error(context + ": " + error.what(), error.exit_status());
    }
    if (reply.status >= 200 && reply.status < 300) return parse_token_reply(reply.body, realm);
    std::string text = registry_error_text(reply.body);
    if ((reply.status == 401 || reply.status == 403) && credentials) {
        throw Error(context + ": invalid username/password" + (text.empty() ? "" : ": " + text));
    }
    throw Error(context + ": " + (text.empty() ? status_text(reply.status) : text));
}

}  // namespace berth::registry
