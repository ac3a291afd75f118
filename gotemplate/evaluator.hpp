// Executes a parsed template against a JSON document with Go's semantics.
#pragma once

#include <string>

#include "gotemplate/ast.hpp"
#include "gotemplate/template.hpp"

namespace berth::gotemplate {

// Appends the output of `tree` run against `data` to `out`; throws TemplateError
// ("template: NAME:LINE:COL: executing \"NAME\" at <NODE>: MESSAGE").
void execute_tree(const Tree& tree, const nlohmann::json& data, const ExecuteOptions& options, std::string& out);

}  // namespace berth::gotemplate
