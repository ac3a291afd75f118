// berth-docgen: writes the man pages of every berth command into a directory.
// Usage: berth-docgen man DIRECTORY
#include <cstdio>
#include <fstream>
#include <string>

#include "cli/app.hpp"
#include "cli/man_page.hpp"

int main(int argc, char** argv) {
    if (argc != 3 || std::string(argv[1]) != "man") {
        std::fprintf(stderr, "usage: berth-docgen man DIRECTORY\n");
        return 2;
    }
    berth::cli::GlobalOptions globals;
    auto tree = berth::cli::build_command_tree(globals);
    for (const auto& [name, text] : berth::cli::render_man_pages(*tree)) {
        std::string path = std::string(argv[2]) + "/" + name;
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            std::fprintf(stderr, "berth-docgen: cannot write %s\n", path.c_str());
            return 1;
        }
    }
    return 0;
}
