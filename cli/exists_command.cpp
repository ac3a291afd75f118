#include "cli/exists_command.hpp"

#include <memory>
#include <vector>

#include "common/error.hpp"

namespace berth::cli {

CLI::App& add_exists_command(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals, ExistsCommand command) {
    auto names = std::make_shared<std::vector<std::string>>();
    auto found = command.found;
    std::string upper = command.noun;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    CommandHelp help{upper,
                     "Exit with status 0 when the " + command.noun + " exists, 1 when it does not.",
                     {command.example},
                     command.arguments};
    std::string summary = "Check if a " + command.noun + " exists";
    auto& exists = tree.add_command(parent, "exists", summary, std::move(help), [names, found, &globals] {
        if (names->size() != 1) throw Error("accepts 1 arg(s), received " + std::to_string(names->size()));
        auto storage = open_storage(globals, false);
        return found(storage, names->front()) ? 0 : 1;
    });
    exists.add_option(command.noun, *names, "The " + command.noun);
    return exists;
}

}  // namespace berth::cli
