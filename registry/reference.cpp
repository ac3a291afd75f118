#include "registry/reference.hpp"

#include <algorithm>
#include <cstddef>

#include "common/error.hpp"

namespace berth::registry {

namespace {

constexpr auto npos = std::string_view::npos;

constexpr std::size_t max_name_length = 255;
constexpr std::size_t max_tag_length = 128;
constexpr std::size_t min_digest_hex_length = 32;
constexpr std::size_t min_short_id_length = 3;
constexpr std::size_t full_id_length = 64;

constexpr std::string_view default_domain = "docker.io";
constexpr std::string_view legacy_default_domain = "index.docker.io";
constexpr std::string_view official_repository_prefix = "library/";
constexpr std::string_view default_tag = "latest";
constexpr std::string_view image_id_prefix = "sha256:";

// Digest algorithms whose hex length is known; others are rejected as unsupported, as containers/image does.
struct DigestAlgorithm {
    std::string_view name;
    std::size_t hex_length;
};
constexpr DigestAlgorithm known_digest_algorithms[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};

// ASCII character classes; <cctype> would depend on the locale and on the sign of char.
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_letter(char c) { return is_lower(c) || is_upper(c); }
bool is_alnum(char c) { return is_letter(c) || is_digit(c); }
bool is_lower_alnum(char c) { return is_lower(c) || is_digit(c); }
bool is_alnum_or_dash(char c) { return is_alnum(c) || c == '-'; }
bool is_lower_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }
bool is_hex(char c) { return is_lower_hex(c) || (c >= 'A' && c <= 'F'); }
bool is_ipv6_char(char c) { return is_hex(c) || c == ':'; }
bool is_word_char(char c) { return is_alnum(c) || c == '_'; }
bool is_tag_char(char c) { return is_word_char(c) || c == '.' || c == '-'; }

bool all_chars(std::string_view text, bool (*test)(char)) { return std::all_of(text.begin(), text.end(), test); }

bool has_uppercase(std::string_view text) { return std::any_of(text.begin(), text.end(), is_upper); }

std::string to_lower_ascii(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
    }
    return lower;
}

// Whether every field of text between separators passes test; an empty field is tested like any other.
bool all_fields(std::string_view text, char separator, bool (*test)(std::string_view)) {
    for (;;) {
        std::size_t end = text.find(separator);
        if (!test(text.substr(0, end))) return false;
        if (end == npos) return true;
        text.remove_prefix(end + 1);
    }
}

// The length of the run of [a-z0-9] that text starts with.
std::size_t lower_alnum_run(std::string_view text) {
    return static_cast<std::size_t>(std::find_if_not(text.begin(), text.end(), is_lower_alnum) - text.begin());
}

// The length of the path separator that text starts with: ".", "_", "__" or a run of '-'; 0 if none.
std::size_t separator_length(std::string_view text) {
    if (text.starts_with("__")) return 2;
    if (text.starts_with('.') || text.starts_with('_')) return 1;
    return std::min(text.find_first_not_of('-'), text.size());
}

// path-component := [a-z0-9]+ (separator [a-z0-9]+)*
bool is_path_component(std::string_view component) {
    for (;;) {
        std::size_t run = lower_alnum_run(component);
        if (run == 0) return false;
        component.remove_prefix(run);
        if (component.empty()) return true;
        std::size_t separator = separator_length(component);
        if (separator == 0) return false;
        component.remove_prefix(separator);
    }
}

// path := path-component ("/" path-component)*
bool is_path(std::string_view path) { return all_fields(path, '/', is_path_component); }

// domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool is_domain_component(std::string_view component) {
    return !component.empty() && is_alnum(component.front()) && is_alnum(component.back()) &&
           all_chars(component, is_alnum_or_dash);
}

// domain-name := domain-component ("." domain-component)*
bool is_domain_name(std::string_view name) { return all_fields(name, '.', is_domain_component); }

// "[" [0-9a-fA-F:]+ "]", as loose as the reference grammar.
bool is_ipv6_literal(std::string_view host) {
    return host.size() > 2 && host.front() == '[' && host.back() == ']' &&
           all_chars(host.substr(1, host.size() - 2), is_ipv6_char);
}

// domain := (domain-name | "[" IPv6 "]") [":" [0-9]+]
bool is_domain(std::string_view domain) {
    bool bracketed = domain.starts_with('[');
    std::size_t host_end = bracketed ? domain.find(']') : domain.find(':');
    if (bracketed) {
        if (host_end == npos) return false;
        ++host_end;  // keep the ']'
    }
    std::string_view host = domain.substr(0, host_end);
    std::string_view port = host_end < domain.size() ? domain.substr(host_end) : std::string_view();
    bool host_ok = bracketed ? is_ipv6_literal(host) : is_domain_name(host);
    bool port_ok = port.empty() || (port.size() > 1 && port.front() == ':' && all_chars(port.substr(1), is_digit));
    return host_ok && port_ok;
}

// Docker's rule for telling a registry from a first path component such as "library".
bool looks_like_domain(std::string_view component) {
    return component.find_first_of(".:") != npos || component == "localhost" || has_uppercase(component);
}

// The index of the '/' that ends the domain of name, or npos when name has none.
// A first component that looks like a domain but is not a valid one stays part of the path, as the grammar allows.
std::size_t domain_end(std::string_view name) {
    std::size_t slash = name.find('/');
    if (slash == npos) return npos;
    std::string_view first = name.substr(0, slash);
    return looks_like_domain(first) && is_domain(first) ? slash : npos;
}

// tag := [\w][\w.-]{0,127}
bool is_tag(std::string_view tag) {
    return !tag.empty() && tag.size() <= max_tag_length && is_word_char(tag.front()) && all_chars(tag, is_tag_char);
}

// algorithm-component := [A-Za-z][A-Za-z0-9]*
bool is_digest_algorithm_component(std::string_view component) {
    return !component.empty() && is_letter(component.front()) && all_chars(component, is_alnum);
}

// algorithm := algorithm-component ([+._-] algorithm-component)*
bool is_digest_algorithm(std::string_view algorithm) {
    for (;;) {
        std::size_t end = algorithm.find_first_of("+._-");
        if (!is_digest_algorithm_component(algorithm.substr(0, end))) return false;
        if (end == npos) return true;
        algorithm.remove_prefix(end + 1);
    }
}

// What is wrong with a digest ("algorithm:hex"), or an empty string when nothing is.
std::string digest_problem(std::string_view digest) {
    std::size_t colon = digest.find(':');
    if (colon == npos) return "invalid digest";
    std::string_view algorithm = digest.substr(0, colon);
    std::string_view hex = digest.substr(colon + 1);
    if (!is_digest_algorithm(algorithm) || hex.size() < min_digest_hex_length || !all_chars(hex, is_hex)) {
        return "invalid digest";
    }
    for (const DigestAlgorithm& known : known_digest_algorithms) {
        if (known.name != algorithm) continue;
        if (hex.size() == known.hex_length && all_chars(hex, is_lower_hex)) return {};
        return "invalid digest (" + std::string(known.name) + " needs " + std::to_string(known.hex_length) +
               " lowercase hex digits)";
    }
    return "unsupported digest algorithm";
}

// What is wrong with the repository name whose path part the domain split left, or an empty view when nothing is.
std::string_view name_problem(std::string_view name, std::string_view path) {
    if (is_path(path)) return {};
    if (has_uppercase(path) && is_path(to_lower_ascii(path))) return "repository name must be lowercase";
    std::string_view first = name.substr(0, name.find('/'));
    if (first.size() < name.size() && looks_like_domain(first) && !is_domain(first)) return "invalid domain";
    return "invalid repository name";
}

// The reference split at its separators: the digest follows the first '@', the tag the last ':' after any '/'.
struct ReferenceParts {
    std::string_view name;
    std::string_view tag;
    std::string_view digest;
    bool has_tag = false;
    bool has_digest = false;
};

ReferenceParts split_reference(std::string_view text) {
    ReferenceParts parts;
    if (std::size_t at = text.find('@'); at != npos) {
        parts.digest = text.substr(at + 1);
        parts.has_digest = true;
        text = text.substr(0, at);
    }
    std::size_t colon = text.rfind(':');
    std::size_t slash = text.rfind('/');
    if (colon != npos && (slash == npos || colon > slash)) {
        parts.tag = text.substr(colon + 1);
        parts.has_tag = true;
        text = text.substr(0, colon);
    }
    parts.name = text;
    return parts;
}

// text in double quotes, with quotes, backslashes and control characters escaped so the message stays one line.
std::string quoted(std::string_view text) {
    constexpr std::string_view hex_digits = "0123456789abcdef";
    std::string out = "\"";
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (byte < 0x20 || byte == 0x7f) {
            out += "\\x";
            out += hex_digits[byte >> 4];
            out += hex_digits[byte & 0xf];
        } else {
            out += c;
        }
    }
    out += '"';
    return out;
}

[[noreturn]] void reject(std::string_view text, std::string_view problem) {
    throw Error("invalid reference format: " + std::string(problem) + ": " + quoted(text));
}

std::string too_long_problem() {
    return "repository name too long (more than " + std::to_string(max_name_length) + " characters)";
}

bool is_full_image_id(std::string_view text) { return text.size() == full_id_length && all_chars(text, is_lower_hex); }

}  // namespace

std::string Reference::name() const { return domain.empty() ? path : domain + "/" + path; }

std::string Reference::to_string() const {
    std::string text = name();
    if (!tag.empty()) text += ":" + tag;
    if (!digest.empty()) text += "@" + digest;
    return text;
}

Reference parse_reference(std::string_view text) {
    if (text.empty()) reject(text, "empty reference");
    ReferenceParts parts = split_reference(text);
    if (parts.name.empty()) reject(text, "missing repository name");

    std::size_t slash = domain_end(parts.name);
    std::string_view domain = slash == npos ? std::string_view() : parts.name.substr(0, slash);
    std::string_view path = slash == npos ? parts.name : parts.name.substr(slash + 1);
    if (std::string_view problem = name_problem(parts.name, path); !problem.empty()) reject(text, problem);
    if (parts.name.size() > max_name_length) reject(text, too_long_problem());
    if (parts.has_tag && !is_tag(parts.tag)) {
        reject(text, "invalid tag (up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-')");
    }
    if (parts.has_digest) {
        if (std::string problem = digest_problem(parts.digest); !problem.empty()) reject(text, problem);
    }
    return Reference{std::string(domain), std::string(path), std::string(parts.tag), std::string(parts.digest)};
}

Reference normalize_reference(Reference reference) {
    if (reference.domain.empty() && is_full_image_id(reference.path)) {
        throw Error("invalid repository name: cannot specify 64-byte hexadecimal strings: " + quoted(reference.path));
    }
    if (reference.domain.empty() || reference.domain == legacy_default_domain) reference.domain = default_domain;
    if (reference.domain == default_domain && reference.path.find('/') == std::string::npos) {
        reference.path.insert(0, official_repository_prefix);
    }
    if (reference.tag.empty() && reference.digest.empty()) reference.tag = default_tag;
    if (reference.name().size() > max_name_length) reject(reference.to_string(), too_long_problem());
    return reference;
}

bool has_explicit_domain(std::string_view text) { return domain_end(text.substr(0, text.find('@'))) != npos; }

bool looks_like_image_id(std::string_view text) {
    if (text.starts_with(image_id_prefix)) return is_full_image_id(text.substr(image_id_prefix.size()));
    return text.size() >= min_short_id_length && text.size() <= full_id_length && all_chars(text, is_lower_hex);
}

}  // namespace berth::registry
