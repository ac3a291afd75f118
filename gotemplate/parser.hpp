// Go text/template's parser: tokens to a tree, with Go's parse errors.
#pragma once

#include <string>
#include <string_view>

#include "gotemplate/ast.hpp"

namespace berth::gotemplate {

// Parses `text` as template `name`; throws TemplateError ("template: NAME:LINE: MESSAGE").
Tree parse_tree(std::string name, std::string_view text);

// Whether `name` is a function templates may call (Go's builtins and Podman's additions).
bool is_function(std::string_view name);

}  // namespace berth::gotemplate
