// man(7) pages for berth(1) and every command, generated from the command tree.
#pragma once

#include <map>
#include <string>

#include "cli/command_tree.hpp"

namespace berth::cli {

// File name ("berth.1", "berth-info.1", ...) to page text, for every visible command.
std::map<std::string, std::string> render_man_pages(const CommandTree& tree);

}  // namespace berth::cli
