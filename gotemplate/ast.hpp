// The parse tree of a Go template.
#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::gotemplate {

struct Pipeline;

// One operand of a command.
struct Argument {
    enum class Kind { field, variable, dot, function, literal, nil, pipeline };
    Kind kind = Kind::literal;
    size_t position = 0;
    std::string name;                    // the function or variable name ("$x", "$")
    std::vector<std::string> fields;     // fields after the dot, the variable or the parenthesized pipeline
    nlohmann::json literal;              // a string, number or bool
    std::shared_ptr<Pipeline> pipeline;  // a parenthesized pipeline
    std::string source;                  // as Go prints the node in errors
};

struct Command {
    size_t position = 0;
    std::vector<Argument> arguments;
    std::string source() const;
};

struct Pipeline {
    size_t position = 0;
    std::vector<std::string> variables;  // declared or assigned variables
    bool assignment = false;             // "=" rather than ":="
    std::vector<Command> commands;
    std::string source() const;
};

struct Node {
    enum class Kind { text, action, if_block, range_block, with_block, break_loop, continue_loop };
    Kind kind = Kind::text;
    size_t position = 0;
    std::string text;
    Pipeline pipeline;
    std::vector<Node> list;
    std::vector<Node> else_list;
};

struct Tree {
    std::string name;
    std::string text;
    std::vector<Node> root;
};

}  // namespace berth::gotemplate
