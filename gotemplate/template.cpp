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

namespace {

// Collects field names; false when a whole value (dot or a bare variable) is used.
bool collect(const Pipeline& pipeline, std::set<std::string>& fields);

bool collect(const Argument& argument, std::set<std::string>& fields) {
    fields.insert(argument.fields.begin(), argument.fields.end());
    switch (argument.kind) {
        case Argument::Kind::dot: return false;
        case Argument::Kind::variable: return !argument.fields.empty();
        case Argument::Kind::pipeline: return collect(*argument.pipeline, fields);
        default: return true;
    }
}

bool collect(const Pipeline& pipeline, std::set<std::string>& fields) {
    bool partial = true;
    for (const auto& command : pipeline.commands)
        for (const auto& argument : command.arguments) partial = collect(argument, fields) && partial;
    return partial;
}

bool collect(const std::vector<Node>& nodes, std::set<std::string>& fields) {
    bool partial = true;
    for (const auto& node : nodes) {
        if (node.kind == Node::Kind::text || node.kind == Node::Kind::break_loop ||
            node.kind == Node::Kind::continue_loop)
            continue;
        partial = collect(node.pipeline, fields) && partial;
        partial = collect(node.list, fields) && partial;
        partial = collect(node.else_list, fields) && partial;
    }
    return partial;
}

bool ranges_over_dot(const Node& node) {
    if (node.kind != Node::Kind::range_block || !node.pipeline.variables.empty()) return false;
    const auto& commands = node.pipeline.commands;
    return commands.size() == 1 && commands[0].arguments.size() == 1 &&
           commands[0].arguments[0].kind == Argument::Kind::dot;
}

}  // namespace

std::optional<std::set<std::string>> Template::referenced_fields() const {
    std::set<std::string> fields;
    bool partial = true;
    for (const auto& node : tree_->root) {
        if (node.kind == Node::Kind::text) continue;
        if (ranges_over_dot(node)) {
            partial = collect(node.list, fields) && collect(node.else_list, fields) && partial;
        } else {
            partial = collect(std::vector<Node>{node}, fields) && partial;
        }
    }
    if (!partial) return std::nullopt;
    return fields;
}

}  // namespace berth::gotemplate
