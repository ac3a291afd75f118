// Values during execution: a JSON value with the Go type it stands for, and Go's ways of printing
// (fmt's %v) and testing (truth) values.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::gotemplate {

// A value owns its JSON, or borrows it from the document being executed (which outlives the
// execution), so that walking a document's fields copies nothing.
class Value {
public:
    Value() = default;
    Value(nlohmann::json data, std::string type_name = "", bool is_missing = false)
        : type(std::move(type_name)), missing(is_missing), owned_(std::move(data)) {}
    static Value borrowed(const nlohmann::json& data, std::string type_name) {
        Value value(nullptr, std::move(type_name));
        value.borrowed_ = &data;
        return value;
    }

    const nlohmann::json& data() const { return borrowed_ ? *borrowed_ : owned_; }
    // A part of this value (an element, a field): borrowed too when this value is.
    Value part(const nlohmann::json& child, std::string type_name) const {
        return borrowed_ ? borrowed(child, std::move(type_name)) : Value(child, std::move(type_name));
    }

    std::string type;      // the Go type; empty: derived from the JSON kind (see type_name)
    bool missing = false;  // a map's missing key or an unset value: prints "<no value>"

private:
    nlohmann::json owned_;
    const nlohmann::json* borrowed_ = nullptr;
};

// The Go type name of a value, as errors show it: "string", "int", "float64", "bool",
// "[]interface {}", "struct", or the type the value was given.
std::string type_name(const Value& value);

// The element type of a slice or map type ("[]string" -> "string"); empty when unknown.
std::string element_type(const std::string& type);

// Whether an object value is a Go map (else a struct).
bool is_map(const Value& value);

// Go's truth: false, 0, "", nil, empty slices and maps are false; structs are true.
bool is_true(const Value& value);

// fmt's %v of a value inside the template's output: "<no value>" for nothing, "[a b]", "map[k:v]", "{v w}".
std::string print_value(const Value& value);

// fmt's %v of a JSON value (nested: null prints "<nil>").
std::string print_json(const nlohmann::json& value, bool as_map = true);

// Go's %v of a float64 ("1.5", "1e+06").
std::string print_float(double value);

}  // namespace berth::gotemplate
