// berth help, berth completion, and the hidden berth __complete that the completion scripts call.
#include <cstdio>
#include <fstream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/completion.hpp"
#include "cli/help_text.hpp"
#include "common/error.hpp"

namespace berth::cli {
namespace {

struct CompletionOptions {
    std::string shell;
    std::string file;
};

void write_stdout(const std::string& text) { std::fwrite(text.data(), 1, text.size(), stdout); }

int run_help(const CommandTree& tree, const std::vector<std::string>& topic) {
    const CLI::App* command = &tree.root();
    for (const auto& name : topic) {
        if (name == "-h" || name == "--help") return run_help(tree, {"help"});
        const CLI::App* next = nullptr;
        for (const auto* sub : CommandTree::visible_commands(*command))
            if (sub->get_name() == name) next = sub;
        if (next == nullptr)
            throw Error("unknown help topic \"" + name + "\": see 'berth help' for the list of commands");
        command = next;
    }
    write_stdout(format_help(tree, *command));
    return 0;
}

int run_completion(const CompletionOptions& options) {
    auto script = completion_script(options.shell);
    if (!script) throw Error("unsupported shell \"" + options.shell + "\": choose bash, zsh or fish");
    if (options.file.empty()) {
        write_stdout(*script);
        return 0;
    }
    std::ofstream out(options.file, std::ios::binary | std::ios::trunc);
    out << *script;
    out.close();
    if (!out) throw Error("write completion script to " + options.file + ": cannot write the file");
    return 0;
}

}  // namespace

void add_shell_commands(CommandTree& tree) {
    CommandHelp help_help{"[command]",
                          "Show the help of berth or of one of its commands.",
                          {"berth help", "berth help info"},
                          ValueKind::commands};
    tree.add_raw_command("help", "Help about any command", std::move(help_help),
                         [&tree](const std::vector<std::string>& words) { return run_help(tree, words); });

    auto completion_options = std::make_shared<CompletionOptions>();
    CommandHelp completion_help{
        "[options] bash|zsh|fish",
        "Generate shell completion scripts for bash, zsh or fish.\n"
        "\n"
        "The scripts ask berth itself for candidates, so they know every command and option of the\n"
        "installed berth. Load them in the current shell:\n"
        "  bash: source <(berth completion bash)\n"
        "  zsh:  source <(berth completion zsh)\n"
        "  fish: berth completion fish | source\n"
        "Packages install them to the shells' completion folders.",
        {"berth completion bash", "berth completion -f ~/.local/share/bash-completion/completions/berth bash"},
        ValueKind::shells};
    auto& completion =
        tree.add_command(tree.root(), "completion", "Generate shell autocompletions", std::move(completion_help),
                         [completion_options] { return run_completion(*completion_options); });
    completion.add_option("shell", completion_options->shell, "bash, zsh or fish")->required();
    auto* file = completion.add_option("-f,--file", completion_options->file,
                                       "Output the completion to this file instead of stdout");
    tree.set_value_kind(file, ValueKind::files);

    auto& complete = tree.add_raw_command("__complete", "Print completion candidates for the given words",
                                          CommandHelp{}, [&tree](const std::vector<std::string>& words) {
                                              write_stdout(format_completion(complete_words(tree, words)));
                                              return 0;
                                          });
    complete.group("");
}

}  // namespace berth::cli
