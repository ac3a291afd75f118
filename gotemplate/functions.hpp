// The functions templates may call: Go's builtins (and, or, not, len, index, slice, print, printf,
// println, eq, ne, lt, le, gt, ge, html, urlquery) and Podman's (json, join, lower, upper, title,
// truncate, pad, split).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "gotemplate/value.hpp"

namespace berth::gotemplate {

// A function's own failure: shown as "error calling NAME: MESSAGE".
class CallError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A call that cannot be made (arity, argument types): shown as MESSAGE.
class ArgumentError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Calls function `name` (not "and"/"or", which the evaluator short-circuits) with evaluated arguments.
Value call_function(std::string_view name, const std::vector<Value>& arguments);

}  // namespace berth::gotemplate
