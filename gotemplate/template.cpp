#include "gotemplate/template.hpp"

#include "gotemplate/evaluator.hpp"
#include "gotemplate/parser.hpp"

namespace berth::gotemplate {

Template Template::parse(std::string name, std::string_view text) {
    return Template(std::make_shared<const Tree>(parse_tree(std::move(name), text)));
}

std::string Template::execute(const nlohmann::json& data, const ExecuteOptions& options) const {
    std::string out;
    execute(data, options, out);
    return out;
}

void Template::execute(const nlohmann::json& data, const ExecuteOptions& options, std::string& out) const {
    execute_tree(*tree_, data, options, out);
}

const std::string& Template::name() const { return tree_->name; }

}  // namespace berth::gotemplate
