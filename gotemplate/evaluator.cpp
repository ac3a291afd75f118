#include "gotemplate/evaluator.hpp"

#include <optional>

#include "gotemplate/functions.hpp"
#include "gotemplate/value.hpp"

namespace berth::gotemplate {
namespace {

using nlohmann::json;

struct BreakLoop {};
struct ContinueLoop {};

class Evaluator {
public:
    Evaluator(const Tree& tree, const ExecuteOptions& options, std::string& out)
        : tree_(tree), options_(options), out_(out) {}

    void run(const json& data) {
        Value root = Value::borrowed(data, options_.root_type);
        variables_.emplace_back("$", root);
        walk(tree_.root, root);
    }

private:
    [[noreturn]] void fail(size_t position, std::string context, const std::string& message) const {
        int line = 1;
        size_t line_start = 0;
        for (size_t i = 0; i < position && i < tree_.text.size(); ++i) {
            if (tree_.text[i] == '\n') {
                ++line;
                line_start = i + 1;
            }
        }
        int column = static_cast<int>(position - line_start);
        if (context.size() > 20) context = context.substr(0, 20) + "...";
        throw TemplateError("template: " + tree_.name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                                ": executing \"" + tree_.name + "\" at <" + context + ">: " + message,
                            Position{tree_.name, line, column});
    }

    void walk(const std::vector<Node>& nodes, const Value& dot) {
        for (const auto& node : nodes) walk_node(node, dot);
    }

    void walk_node(const Node& node, const Value& dot) {
        switch (node.kind) {
            case Node::Kind::text: out_ += node.text; return;
            case Node::Kind::action: {
                Value value = pipeline(node.pipeline, dot, true);
                if (node.pipeline.variables.empty()) out_ += print_value(value);
                return;
            }
            case Node::Kind::if_block:
            case Node::Kind::with_block: {
                size_t mark = variables_.size();
                Value value = pipeline(node.pipeline, dot, true);
                if (is_true(value))
                    walk(node.list, node.kind == Node::Kind::with_block ? value : dot);
                else
                    walk(node.else_list, dot);
                variables_.resize(mark);
                return;
            }
            case Node::Kind::range_block: return range(node, dot);
            case Node::Kind::break_loop: throw BreakLoop{};
            case Node::Kind::continue_loop: throw ContinueLoop{};
        }
    }

    void range(const Node& node, const Value& dot) {
        size_t mark = variables_.size();
        Value items = pipeline(node.pipeline, dot, false);
        const auto& names = node.pipeline.variables;
        std::string element = element_type(items.type);
        auto iterate = [&](const Value& key, const Value& item) {
            if (names.size() == 1) variables_.emplace_back(names[0], item);
            if (names.size() == 2) {
                variables_.emplace_back(names[0], key);
                variables_.emplace_back(names[1], item);
            }
            bool stop = false;
            try {
                walk(node.list, item);
            } catch (const BreakLoop&) {
                stop = true;
            } catch (const ContinueLoop&) {
            }
            variables_.resize(mark);
            return !stop;
        };
        bool empty = true;
        if (items.data().is_array()) {
            empty = items.data().empty();
            for (size_t i = 0; i < items.data().size(); ++i)
                if (!iterate(Value{i, "int", false}, items.part(items.data()[i], element))) break;
        } else if (items.data().is_object() && is_map(items)) {
            empty = items.data().empty();
            for (auto it = items.data().begin(); it != items.data().end(); ++it)
                if (!iterate(Value{it.key(), "string", false}, items.part(it.value(), element))) break;
        } else if (!items.missing && !items.data().is_null()) {
            fail(node.pipeline.position, node.pipeline.source(), "range can't iterate over " + print_value(items));
        }
        if (empty) walk(node.else_list, dot);
        variables_.resize(mark);
    }

    // Evaluates a pipeline; `declare` binds its variables (a range binds its own).
    Value pipeline(const Pipeline& pipe, const Value& dot, bool declare) {
        std::optional<Value> value;
        for (const auto& cmd : pipe.commands) value = command(cmd, dot, value);
        if (declare) {
            for (const auto& name : pipe.variables) {
                if (pipe.assignment)
                    set_variable(name, *value);
                else
                    variables_.emplace_back(name, *value);
            }
        }
        return *value;
    }

    void set_variable(const std::string& name, const Value& value) {
        for (auto it = variables_.rbegin(); it != variables_.rend(); ++it)
            if (it->first == name) {
                it->second = value;
                return;
            }
    }

    const Value& variable(const std::string& name) const {
        for (auto it = variables_.rbegin(); it != variables_.rend(); ++it)
            if (it->first == name) return it->second;
        return variables_.front().second;
    }

    Value command(const Command& cmd, const Value& dot, const std::optional<Value>& final) {
        const Argument& first = cmd.arguments.front();
        bool has_arguments = cmd.arguments.size() > 1 || final.has_value();
        switch (first.kind) {
            case Argument::Kind::function: return function(cmd, dot, final);
            case Argument::Kind::field:
                if (has_arguments)
                    fail(first.position, first.source,
                         first.source + " has arguments but cannot be invoked as function");
                return fields(dot, first);
            case Argument::Kind::variable:
                if (has_arguments)
                    fail(first.position, first.source,
                         first.source + " has arguments but cannot be invoked as function");
                return fields(variable(first.name), first);
            case Argument::Kind::pipeline:
                if (has_arguments)
                    fail(first.position, first.source, "can't give argument to non-function " + first.source);
                return fields(pipeline(*first.pipeline, dot, true), first);
            case Argument::Kind::nil: fail(first.position, first.source, "nil is not a command");
            case Argument::Kind::dot:
            case Argument::Kind::literal:
                if (has_arguments)
                    fail(first.position, first.source, "can't give argument to non-function " + first.source);
                return argument(first, dot);
        }
        return dot;
    }

    Value argument(const Argument& arg, const Value& dot) {
        switch (arg.kind) {
            case Argument::Kind::dot: return dot;
            case Argument::Kind::literal: return Value{arg.literal, "", false};
            case Argument::Kind::nil: return Value{nullptr, "", true};
            case Argument::Kind::field: return fields(dot, arg);
            case Argument::Kind::variable: return fields(variable(arg.name), arg);
            case Argument::Kind::pipeline: return fields(pipeline(*arg.pipeline, dot, true), arg);
            case Argument::Kind::function: {
                Command cmd;
                cmd.position = arg.position;
                cmd.arguments = {arg};
                return function(cmd, dot, std::nullopt);
            }
        }
        return dot;
    }

    Value function(const Command& cmd, const Value& dot, const std::optional<Value>& final) {
        const std::string& name = cmd.arguments.front().name;
        if (name == "and" || name == "or") return logical(cmd, dot, final, name == "and");
        std::vector<Value> values;
        values.reserve(cmd.arguments.size());
        for (size_t i = 1; i < cmd.arguments.size(); ++i) values.push_back(argument(cmd.arguments[i], dot));
        if (final) values.push_back(*final);
        try {
            return call_function(name, values);
        } catch (const CallError& error) {
            fail(cmd.position, cmd.source(), "error calling " + name + ": " + error.what());
        } catch (const ArgumentError& error) {
            fail(cmd.position, cmd.source(), error.what());
        }
    }

    // and/or evaluate their operands only as far as needed, as Go does since 1.18.
    Value logical(const Command& cmd, const Value& dot, const std::optional<Value>& final, bool conjunction) {
        size_t count = cmd.arguments.size() - 1 + (final ? 1 : 0);
        const char* name = conjunction ? "and" : "or";
        if (count < 1)
            fail(cmd.position, cmd.source(),
                 std::string("wrong number of args for ") + name + ": want at least 1 got 0");
        Value value;
        for (size_t i = 1; i <= count; ++i) {
            value = i < cmd.arguments.size() ? argument(cmd.arguments[i], dot) : *final;
            if (is_true(value) != conjunction) return value;
        }
        return value;
    }

    std::string field_type(const std::string& name, const json& data) const {
        auto found = options_.field_types.find(name);
        if (found != options_.field_types.end()) return found->second;
        (void)data;
        return "";
    }

    Value fields(Value receiver, const Argument& arg) {
        for (const auto& name : arg.fields) receiver = field(receiver, name, arg);
        return receiver;
    }

    Value field(const Value& receiver, const std::string& name, const Argument& arg) {
        if (receiver.missing) return receiver;
        const auto& data = receiver.data();
        if (data.is_object()) {
            auto found = data.find(name);
            if (is_map(receiver)) {
                std::string value_type = element_type(receiver.type);
                if (found == data.end()) return Value{nullptr, value_type, true};
                return receiver.part(*found, value_type.empty() ? field_type(name, *found) : value_type);
            }
            if (found == data.end())
                if (auto key = options_.json_keys.find(name); key != options_.json_keys.end())
                    found = data.find(key->second);
            if (found != data.end()) return receiver.part(*found, field_type(name, *found));
        }
        if (data.is_null() && is_map(receiver)) return Value{nullptr, element_type(receiver.type), true};
        if (data.is_null())
            fail(arg.position, arg.source, "nil pointer evaluating " + type_name(receiver) + "." + name);
        fail(arg.position, arg.source, "can't evaluate field " + name + " in type " + type_name(receiver));
    }

    const Tree& tree_;
    const ExecuteOptions& options_;
    std::string& out_;
    std::vector<std::pair<std::string, Value>> variables_;
};

}  // namespace

void execute_tree(const Tree& tree, const json& data, const ExecuteOptions& options, std::string& out) {
    Evaluator(tree, options, out).run(data);
}

}  // namespace berth::gotemplate
