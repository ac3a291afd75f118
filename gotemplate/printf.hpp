// Go's fmt.Sprintf, Sprint and Sprintln over template values.
#pragma once

#include <string>
#include <vector>

#include "gotemplate/value.hpp"

namespace berth::gotemplate {

// fmt.Sprintf: verbs v s d q x X o b c t f F e E g G T %, flags "-+# 0", width and precision;
// mismatches print as Go does ("%!d(string=x)", "%!s(MISSING)", "%!(EXTRA int=2)").
std::string go_sprintf(const std::string& format, const std::vector<Value>& arguments);

// fmt.Sprint: operands printed with %v, a space between two operands when neither is a string.
std::string go_sprint(const std::vector<Value>& arguments);

// fmt.Sprintln: operands with %v separated by spaces, then a line end.
std::string go_sprintln(const std::vector<Value>& arguments);

// strconv.Quote of a string.
std::string go_quote(const std::string& text);

}  // namespace berth::gotemplate
