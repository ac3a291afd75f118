// Go's text/template over nlohmann::json values, as Podman's --format uses it: parse once, execute
// against many documents. JSON objects are Go structs (a missing field is an error) unless their
// field's type is a map in ExecuteOptions::field_types (a missing key prints "<no value>").
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace berth::gotemplate {

// Where in a template an error is: the template's name, its 1-based line and the byte offset in
// the line (0 when the error is not at a node, as Go's parse errors are).
struct Position {
    std::string name;
    int line = 0;
    int column = 0;
};

// A parse or execution error with Go's text ("template: ps:1:13: executing \"ps\" at <.Nope>:
// can't evaluate field Nope in type containers.psReporter"); exit status 125.
class TemplateError : public Error {
public:
    TemplateError(const std::string& message, Position position) : Error(message), position_(std::move(position)) {}
    const Position& position() const noexcept { return position_; }

private:
    Position position_;
};

struct ExecuteOptions {
    // The Go type of the data given to execute ("containers.psReporter", "[]containers.psReporter").
    std::string root_type = "struct";
    // Go types of fields by field name ("Labels" -> "map[string]string"); objects of a "map[...]"
    // type look keys up as maps do, all other objects are structs.
    std::map<std::string, std::string, std::less<>> field_types;
    // Go field names whose JSON key differs ("ID" -> "Id", from a `json:"Id"` tag): a struct's field
    // is looked up under its JSON key when the object has no key of the field's own name.
    std::map<std::string, std::string, std::less<>> json_keys;
};

struct Tree;

class Template {
public:
    // Parses `text`; throws TemplateError with Go's parse error messages.
    static Template parse(std::string name, std::string_view text);

    // Renders the template against `data`; throws TemplateError on an execution error.
    std::string execute(const nlohmann::json& data, const ExecuteOptions& options = {}) const;
    void execute(const nlohmann::json& data, const ExecuteOptions& options, std::string& out) const;

    const std::string& name() const;

    // The field names the template looks up anywhere (".A.B" gives A and B), or nothing when it may
    // use whole values of the data's items (`{{.}}`, `{{json .}}`, `$`): lets a caller build only
    // the fields a template needs. A {{range .}} around the whole template counts as no use of dot.
    std::optional<std::set<std::string>> referenced_fields() const;

private:
    explicit Template(std::shared_ptr<const Tree> tree) : tree_(std::move(tree)) {}
    std::shared_ptr<const Tree> tree_;
};

}  // namespace berth::gotemplate
