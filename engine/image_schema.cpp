#include "engine/image_schema.hpp"

#include <cstdint>
#include <iterator>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <utility>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "common/error.hpp"
#include "engine/oci_image_schemas.inc"  // generated at build time from the installed schema files

namespace berth::engine {
namespace {

using nlohmann::json;

constexpr uint64_t int64_max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

// --------------------------------------------------------------------------
// The embedded schema files

json parse_schema_file(const generated::OciImageSchemaFile& file) {
    json document = json::parse(file.text, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        throw Error("the embedded OCI image schema " + std::string(file.name) + " is not a JSON object");
    return document;
}

// The files as they are (for the rules below and for tests).
const std::map<std::string, json, std::less<>>& schema_files() {
    static const auto files = [] {
        std::map<std::string, json, std::less<>> parsed;
        for (const auto& file : generated::oci_image_schema_files)
            parsed.emplace(std::string(file.name), parse_schema_file(file));
        return parsed;
    }();
    return files;
}

// valijson reads an unsigned integer as int64, so a bound above INT64_MAX (defs.json's int64 maximum,
// 9223372036854776000, and uint64's) would wrap around to a negative number: such bounds become doubles.
void widen_huge_integers(json& node) {
    if (node.is_number_unsigned() && node.get<uint64_t>() > int64_max) {
        node = static_cast<double>(node.get<uint64_t>());
    } else if (node.is_structured()) {
        for (auto& child : node) widen_huge_integers(child);
    }
}

// The files as valijson reads them.
const std::map<std::string, json, std::less<>>& validator_documents() {
    static const auto documents = [] {
        auto copies = schema_files();
        for (auto& [name, document] : copies) widen_huge_integers(document);
        return copies;
    }();
    return documents;
}

// The file a $ref's document part names. valijson joins a relative reference to the resolution scope (the "id" of an
// enclosing schema) without a separator, e.g. "https://opencontainers.org/schema/image/manifestdefs.json", so the
// file is the longest embedded name the URI ends with.
template <typename Documents>
auto find_referenced(const Documents& documents, std::string_view uri) -> decltype(&documents.begin()->second) {
    decltype(&documents.begin()->second) found = nullptr;
    size_t found_length = 0;
    for (const auto& [name, document] : documents) {
        if (uri.ends_with(name) && name.size() > found_length) {
            found = &document;
            found_length = name.size();
        }
    }
    return found;
}

std::string_view schema_file_of(std::string_view kind) {
    if (kind == "manifest") return "image-manifest-schema.json";
    if (kind == "index") return "image-index-schema.json";
    if (kind == "config") return "config-schema.json";
    throw Error("no OCI image schema for \"" + std::string(kind) + "\" (manifest, index or config)");
}

std::unique_ptr<valijson::Schema> load_schema(std::string_view file_name) {
    const auto& documents = validator_documents();
    auto root = documents.find(file_name);
    if (root == documents.end()) throw Error("the OCI image schema " + std::string(file_name) + " is not embedded");
    auto schema = std::make_unique<valijson::Schema>();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft4);
    valijson::adapters::NlohmannJsonAdapter adapter(root->second);
    // The fetched documents belong to validator_documents(): there is nothing to free.
    auto fetch = [&documents](const std::string& uri) -> const json* { return find_referenced(documents, uri); };
    try {
        parser.populateSchema(adapter, *schema, fetch, [](const json*) {});
    } catch (const std::exception& error) {
        throw Error("the OCI image schema " + std::string(file_name) + " cannot be loaded: " + error.what());
    }
    return schema;
}

const valijson::Schema& schema_for(std::string_view kind) {
    std::string_view file_name = schema_file_of(kind);
    if (file_name == "image-manifest-schema.json") {
        static const auto manifest = load_schema(file_name);
        return *manifest;
    }
    if (file_name == "image-index-schema.json") {
        static const auto index = load_schema(file_name);
        return *index;
    }
    static const auto config = load_schema(file_name);
    return *config;
}

// --------------------------------------------------------------------------
// What the schemas match against regular expressions and bound as int64, by property name

struct PropertyRules {
    std::set<std::string> matched;       // string values matched against a pattern or a date-time format
    std::map<std::string, json> maxima;  // integer values with a maximum, as the schema writes it
};

struct Located {
    const json* node;
    const json* document;  // where "#/..." references in `node` lead
};

// Follows $refs ("file#/pointer", "#/pointer", "file") to the schema they name.
Located resolve(Located at) {
    for (int hops = 0; hops < 16 && at.node->is_object(); ++hops) {
        auto ref = at.node->find("$ref");
        if (ref == at.node->end() || !ref->is_string()) return at;
        std::string text = ref->get<std::string>();
        auto hash = text.find('#');
        std::string file = text.substr(0, hash);
        std::string pointer = hash == std::string::npos ? "" : text.substr(hash + 1);
        const json* document = file.empty() ? at.document : find_referenced(schema_files(), file);
        if (document == nullptr) throw Error("the OCI image schemas refer to " + text + ", which is not embedded");
        at = {&document->at(json::json_pointer(pointer)), document};
    }
    return at;
}

// Whether valijson matches a string against a regular expression for this schema: a pattern, or one of the formats
// it checks with std::regex (it ignores the others, "uri" among them), here or in an alternative.
bool matches_regex(Located at, int depth = 0) {
    at = resolve(at);
    if (!at.node->is_object() || depth > 8) return false;
    if (at.node->contains("pattern")) return true;
    if (auto format = at.node->find("format"); format != at.node->end() && format->is_string()) {
        if (*format == "date" || *format == "time" || *format == "date-time") return true;
    }
    for (const char* combinator : {"oneOf", "anyOf", "allOf"}) {
        auto alternatives = at.node->find(combinator);
        if (alternatives == at.node->end() || !alternatives->is_array()) continue;
        for (const auto& alternative : *alternatives)
            if (matches_regex({&alternative, at.document}, depth + 1)) return true;
    }
    return false;
}

const json* maximum_of(Located at, int depth = 0) {
    at = resolve(at);
    if (!at.node->is_object() || depth > 8) return nullptr;
    if (auto maximum = at.node->find("maximum"); maximum != at.node->end()) return &*maximum;
    for (const char* combinator : {"oneOf", "anyOf", "allOf"}) {
        auto alternatives = at.node->find(combinator);
        if (alternatives == at.node->end() || !alternatives->is_array()) continue;
        for (const auto& alternative : *alternatives)
            if (const json* maximum = maximum_of({&alternative, at.document}, depth + 1)) return maximum;
    }
    return nullptr;
}

void collect_rules(const json& node, const json& document, PropertyRules& rules) {
    if (!node.is_structured()) return;
    if (node.is_object()) {
        if (auto properties = node.find("properties"); properties != node.end() && properties->is_object()) {
            for (const auto& [name, property] : properties->items()) {
                Located schema = resolve({&property, &document});
                bool matched = matches_regex(schema);
                if (!matched && schema.node->is_object() && schema.node->contains("items"))
                    matched = matches_regex({&(*schema.node)["items"], schema.document});
                if (matched) rules.matched.insert(name);
                if (const json* maximum = maximum_of(schema)) rules.maxima.emplace(name, *maximum);
            }
        }
    }
    for (const auto& child : node) collect_rules(child, document, rules);
}

const PropertyRules& property_rules() {
    static const auto rules = [] {
        PropertyRules found;
        for (const auto& [name, document] : schema_files()) collect_rules(document, document, found);
        return found;
    }();
    return rules;
}

// --------------------------------------------------------------------------
// Paths and values in error messages

std::string shortened(const std::string& text, size_t limit = 64) {
    if (text.size() <= limit) return text;
    size_t cut = limit - 3;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
    return text.substr(0, cut) + "...";
}

// A JSON pointer (RFC 6901) of the tokens, "(root)" for none; long tokens are shortened.
std::string pointer_text(const std::vector<std::string>& tokens) {
    if (tokens.empty()) return "(root)";
    std::string text;
    for (const auto& token : tokens) {
        text += '/';
        for (char c : shortened(token)) {
            if (c == '~') {
                text += "~0";
            } else if (c == '/') {
                text += "~1";
            } else {
                text += c;
            }
        }
    }
    return text;
}

// The tokens of a valijson context: "<root>", then "[name]" or "[index]" per step.
std::vector<std::string> context_tokens(const std::vector<std::string>& context) {
    std::vector<std::string> tokens;
    for (size_t i = 1; i < context.size(); ++i) {
        const std::string& step = context[i];
        bool bracketed = step.size() >= 2 && step.front() == '[' && step.back() == ']';
        tokens.push_back(bracketed ? step.substr(1, step.size() - 2) : step);
    }
    return tokens;
}

const json* value_at(const json& document, const std::vector<std::string>& tokens) {
    const json* node = &document;
    for (const auto& token : tokens) {
        if (node->is_object()) {
            auto found = node->find(token);
            if (found == node->end()) return nullptr;
            node = &*found;
        } else if (node->is_array()) {
            size_t index = 0;
            for (char c : token) {
                if (c < '0' || c > '9' || index > node->size()) return nullptr;
                index = index * 10 + static_cast<size_t>(c - '0');
            }
            if (token.empty() || index >= node->size()) return nullptr;
            node = &(*node)[index];
        } else {
            return nullptr;
        }
    }
    return node;
}

std::string value_text(const json& value) {
    if (value.is_object()) return "an object";
    if (value.is_array()) return "an array";
    return shortened(value.dump(-1, ' ', false, json::error_handler_t::replace));
}

std::string schema_name(std::string_view kind) { return "the OCI image " + std::string(kind) + " schema"; }

// valijson's message without its final period, and its bounds without std::to_string's ".000000" ("at least 2").
std::string tidy(std::string why) {
    for (size_t at = why.find(".000000"); at != std::string::npos; at = why.find(".000000", at)) {
        bool after_digit = at > 0 && why[at - 1] >= '0' && why[at - 1] <= '9';
        bool number_ends = at + 7 == why.size() || why[at + 7] < '0' || why[at + 7] > '9';
        if (after_digit && number_ends) {
            why.erase(at, 7);
        } else {
            at += 7;
        }
    }
    while (!why.empty() && (why.back() == '.' || why.back() == ' ')) why.pop_back();
    return why;
}

[[noreturn]] void throw_violation(std::string_view kind, const std::string& where, const std::vector<std::string>& path,
                                  std::string why, const json* value) {
    why = tidy(std::move(why));
    if (value != nullptr) why += " (got " + value_text(*value) + ")";
    throw Error(where + ": does not conform to " + schema_name(kind) + ": " + pointer_text(path) + ": " + why);
}

// --------------------------------------------------------------------------
// Before valijson: strings too long for std::regex, integers too large for valijson

// The document walked without recursion (it may be nested millions deep): one level per open object or array.
struct Level {
    const json* node;
    json::const_iterator next;
};

// Whether an integer above INT64_MAX exceeds a schema's maximum, compared as the schema writes it: exactly for an
// integer, as a double for a number with a fraction or exponent.
bool exceeds(uint64_t value, const json& maximum) {
    if (maximum.is_number_unsigned()) return value > maximum.get<uint64_t>();
    if (maximum.is_number_integer()) return true;  // at most INT64_MAX
    return static_cast<double>(value) > maximum.get<double>();
}

std::vector<std::string> path_of(const std::vector<Level>& stack) {
    std::vector<std::string> path;
    for (const auto& level : stack) {
        auto current = std::prev(level.next);
        path.push_back(level.node->is_object() ? current.key() : std::to_string(current - level.node->cbegin()));
    }
    return path;
}

void check_before_validating(std::string_view kind, const json& document, const std::string& where) {
    const auto& rules = property_rules();
    auto too_long = [&](const std::string& subject, size_t length) {
        throw Error(where + ": cannot be checked against " + schema_name(kind) + ": " + subject + " is " +
                    std::to_string(length) + " characters long (berth matches at most " +
                    std::to_string(oci_schema_longest_checked_string) + " against the schema's patterns)");
    };
    std::vector<Level> stack;
    if (document.is_structured()) stack.push_back({&document, document.cbegin()});
    while (!stack.empty()) {
        Level& level = stack.back();
        if (level.next == level.node->cend()) {
            stack.pop_back();
            continue;
        }
        auto member = level.next++;
        const json& value = *member;
        if (level.node->is_object()) {
            const std::string& key = member.key();
            if (key.size() > oci_schema_longest_checked_string)
                too_long("the member name at " + pointer_text(path_of(stack)), key.size());
            if (rules.matched.contains(key)) {
                if (value.is_string() && value.get_ref<const std::string&>().size() > oci_schema_longest_checked_string)
                    too_long(pointer_text(path_of(stack)), value.get_ref<const std::string&>().size());
                if (value.is_array()) {
                    for (size_t i = 0; i < value.size(); ++i) {
                        if (!value[i].is_string()) continue;
                        size_t length = value[i].get_ref<const std::string&>().size();
                        if (length <= oci_schema_longest_checked_string) continue;
                        auto path = path_of(stack);
                        path.push_back(std::to_string(i));
                        too_long(pointer_text(path), length);
                    }
                }
            }
            auto maximum = rules.maxima.find(key);
            if (maximum != rules.maxima.end() && value.is_number_unsigned() && value.get<uint64_t>() > int64_max &&
                exceeds(value.get<uint64_t>(), maximum->second)) {
                throw_violation(kind, where, path_of(stack),
                                "Expected number less than or equal to " + maximum->second.dump(), &value);
            }
        }
        if (value.is_structured() && !value.empty()) stack.push_back({&value, value.cbegin()});
    }
}

}  // namespace

void validate_oci_document(std::string_view kind, const json& document, const std::string& where) {
    const valijson::Schema& schema = schema_for(kind);
    check_before_validating(kind, document, where);
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(document);
    if (validator.validate(schema, target, &results)) return;
    // Errors come innermost first: the first one says what is wrong, the ones after where it sits.
    valijson::ValidationResults::Error first;
    if (!results.popError(first)) throw Error(where + ": does not conform to " + schema_name(kind));
    auto path = context_tokens(first.context);
    const json* value = value_at(document, path);
    // The value is worth showing when it is a scalar, or when its type is what is wrong.
    bool show = value != nullptr && !path.empty() &&
                (value->is_primitive() || first.description.starts_with("Value type not permitted"));
    throw_violation(kind, where, path, first.description, show ? value : nullptr);
}

std::vector<std::string> oci_image_schema_names() {
    std::vector<std::string> names;
    for (const auto& [name, document] : schema_files()) names.push_back(name);
    return names;
}

std::string_view oci_image_schema_source_directory() { return generated::oci_image_schema_directory; }

const json& oci_image_schema(std::string_view name) {
    const auto& files = schema_files();
    auto found = files.find(name);
    if (found == files.end()) throw Error("no embedded OCI image schema " + std::string(name));
    return found->second;
}

const std::set<std::string>& oci_schema_matched_properties() { return property_rules().matched; }

}  // namespace berth::engine
