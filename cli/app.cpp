#include "cli/app.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/help_text.hpp"
#include "common/error.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "common/version.hpp"
#include "storage/container_store.hpp"
#include "storage/image_store.hpp"
#include "storage/storage_paths.hpp"

namespace berth::cli {
namespace {

CommandHelp root_help() {
    return {"[options] [command]",
            "berth is a daemonless, rootless container engine with Podman's command line. Each command is a\n"
            "short-lived process that works on per-user storage: images and containers of an unprivileged\n"
            "user live under ~/.local/share/berth and run in user namespaces mapped from /etc/subuid and\n"
            "/etc/subgid; root's live under /var/lib/berth.",
            {"berth info", "berth --root /tmp/store info --format json"},
            ValueKind::none};
}

void add_global_options(CommandTree& tree, GlobalOptions& globals) {
    CLI::App& root = tree.root();
    auto* root_option = root.add_option("--root", globals.root, "Path to the storage root directory");
    tree.set_value_kind(root_option, ValueKind::directories);
    auto* runroot = root.add_option("--runroot", globals.runroot, "Path to the runtime state directory");
    tree.set_value_kind(runroot, ValueKind::directories);
    tree.set_choices(root.add_option("--storage-driver", globals.storage_driver,
                                     "Rootfs driver: overlay, fuse-overlayfs or vfs (default: the best that works)"),
                     {"overlay", "fuse-overlayfs", "vfs"});
    tree.set_completion_choices(root.add_option("--log-level", globals.log_level,
                                                "Log messages at and above this level (trace, debug, info, warn, "
                                                "error, fatal, panic)")
                                    ->capture_default_str(),
                                {"trace", "debug", "info", "warn", "error", "fatal", "panic"});
    root.add_flag("--noout", globals.noout, "Do not write to standard output");
    root.add_flag("-D,--debug", globals.debug, "Log debug messages too (the same as --log-level=debug)");
    root.add_flag("-v,--version", globals.version, "Print the version of berth");
}

// Flags take values as Podman's (pflag) do: each occurrence of a flag takes exactly one value, never
// the arguments after it (`--change "LABEL a=b" ctr image`), and a repeated single-valued flag keeps
// its last value (`--name a --name b` is b; CLI11 would refuse the repetition).
void parse_values_as_podman(CLI::App& command) {
    for (CLI::Option* option : command.get_options()) {
        if (option->get_positional() || !CommandTree::takes_value(*option)) continue;
        option->allow_extra_args(false);
        if (option->get_items_expected_max() == 1) option->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    }
    for (CLI::App* subcommand : command.get_subcommands([](CLI::App*) { return true; }))
        parse_values_as_podman(*subcommand);
}

// --log-level and --debug, checked as Podman checks them (exit 1), then applied.
void apply_log_level(const CLI::App& root, const GlobalOptions& globals) {
    bool level_given = root.get_option("--log-level")->count() > 0;
    if (globals.debug && level_given) throw Error("Setting --log-level and --debug is not allowed", 1);
    auto level = globals.debug ? std::optional<LogLevel>(LogLevel::debug) : parse_log_level(globals.log_level);
    if (!level)
        throw Error("Log Level \"" + globals.log_level + "\" is not supported, choose from: " + log_level_names(), 1);
    set_log_level(*level);
    log_info("berth filtering at log level " + std::string(globals.debug ? "debug" : globals.log_level));
}

// --noout: what berth would print on standard output goes to /dev/null.
void redirect_stdout_to_null() {
    std::fflush(stdout);
    UniqueFd null_device(::open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!null_device || ::dup2(null_device.get(), STDOUT_FILENO) < 0)
        throw Error(std::string("--noout: cannot redirect standard output to /dev/null: ") + std::strerror(errno));
}

// The deepest command the parser entered.
const CLI::App* selected_command(const CLI::App& root) {
    const CLI::App* command = &root;
    for (;;) {
        auto parsed = command->get_subcommands();
        if (parsed.empty()) return command;
        command = parsed.front();
    }
}

void print_error(const std::string& message) { std::fprintf(stderr, "Error: %s\n", message.c_str()); }

// The first word the parser did not take, as Podman reports it.
std::string unexpected_argument_message(const CLI::App& command, const std::string& word) {
    std::string path = CommandTree::path_of(command);
    if (word.size() > 1 && word.front() == '-') return "unknown flag: " + word + " (see '" + path + " --help')";
    if (command.get_parent() == nullptr) return "unrecognized command `" + path + " " + word + "` (see 'berth --help')";
    return "`" + path + "` takes no argument \"" + word + "\" (see '" + path + " --help')";
}

std::string parse_error_message(const CLI::App& root, const CLI::ParseError& error, std::string_view last_word) {
    const CLI::App& command = *selected_command(root);
    std::string what = error.what();
    if (error.get_name() == "ArgumentMismatch") {
        // pflag's wording: "'h' in -h" for a short flag as typed, the long name otherwise.
        bool short_flag = last_word.size() == 2 && last_word[0] == '-' && last_word[1] != '-';
        what = "flag needs an argument: " + (short_flag
                                                 ? "'" + std::string(1, last_word[1]) + "' in " + std::string(last_word)
                                                 : what.substr(0, what.find(':')));
    }
    return what + " (see '" + CommandTree::path_of(command) + " --help')";
}

int run_action(const CommandTree& tree, const CLI::App& command) {
    if (const Action* action = tree.action(command)) return (*action)();
    if (command.get_parent() == nullptr) {
        print_error("missing command 'berth COMMAND' (see 'berth --help')");
        return exit_berth_error;
    }
    std::fputs(format_help(tree, command).c_str(), stdout);
    return 0;
}

// The top-level command a command line names, when it names one that needs nothing else built: the first word
// after the global options. "" (build everything) for help, completion and anything unclear.
std::string command_named(int argc, char** argv) {
    static const std::string_view valued[] = {"--root", "--runroot", "--storage-driver", "--log-level"};
    for (int index = 1; index < argc; ++index) {
        std::string_view word = argv[index];
        if (word.empty()) return "";
        if (word.front() != '-') {
            if (word == "help" || word == "completion" || word == "__complete") return "";
            return std::string(word);
        }
        if (word.find('=') != std::string_view::npos) continue;
        if (std::find(std::begin(valued), std::end(valued), word) != std::end(valued)) {
            ++index;
            continue;
        }
        return "";  // -h, --help, -v, an unknown flag: the whole tree answers
    }
    return "";
}

// Completion's names: containers or images of the storage that --root in the completed words (else the
// default) points at.
std::vector<std::pair<std::string, std::string>> storage_names(ValueKind kind, const std::vector<std::string>& words) {
    std::optional<std::string> root, runroot;
    for (size_t index = 0; index + 1 < words.size(); ++index) {
        const std::string& word = words[index];
        if (word == "--root" && index + 2 < words.size()) root = words[index + 1];
        if (word.starts_with("--root=")) root = word.substr(7);
        if (word == "--runroot" && index + 2 < words.size()) runroot = words[index + 1];
    }
    auto paths = storage::default_storage_paths(storage::PathEnvironment::from_process(), root, runroot);
    std::vector<std::pair<std::string, std::string>> names;
    if (kind == ValueKind::containers) {
        for (const auto& record : storage::ContainerStore(paths.graph_root).list())
            names.emplace_back(record.name, record.id.substr(0, 12) + " " + record.image_name);
    } else {
        for (const auto& record : storage::ImageStore(paths.graph_root).list())
            for (const auto& name : record.names) names.emplace_back(name, record.id.substr(7, 12));
    }
    return names;
}

}  // namespace

std::unique_ptr<CommandTree> build_command_tree(GlobalOptions& globals, const std::string& only) {
    auto tree = std::make_unique<CommandTree>("Manage containers and images without a daemon", root_help());
    tree->build_only(only);
    tree->set_name_source(storage_names);
    CLI::App& root = tree->root();
    root.set_help_flag("-h,--help", "help for berth");
    root.allow_extras();
    add_global_options(*tree, globals);
    add_pull_command(*tree, globals);
    add_push_command(*tree, globals);
    add_login_commands(*tree);
    add_image_commands(*tree, globals);
    add_archive_commands(*tree, globals);
    add_build_commands(*tree, globals);
    add_container_commands(*tree, globals);
    add_volume_commands(*tree, globals);
    add_network_commands(*tree, globals);
    add_pod_commands(*tree, globals);
    add_generate_commands(*tree, globals);
    add_unshare_command(*tree, globals);
    add_system_commands(*tree, globals);
    add_shell_commands(*tree);
    parse_values_as_podman(root);
    return tree;
}

int run_berth(int argc, char** argv) {
    GlobalOptions globals;
    std::unique_ptr<CommandTree> tree;
    try {
        tree = build_command_tree(globals, command_named(argc, argv));
        if (argc >= 2)
            if (const RawAction* raw = tree->raw_action(argv[1])) return (*raw)({argv + 2, argv + argc});
        CLI::App& root = tree->root();
        try {
            root.parse(argc, argv);
        } catch (const CLI::CallForHelp&) {
            std::fputs(format_help(*tree, *selected_command(root)).c_str(), stdout);
            return 0;
        } catch (const CLI::ParseError& error) {
            print_error(parse_error_message(root, error, argc > 1 ? argv[argc - 1] : ""));
            return exit_berth_error;
        }
        apply_log_level(root, globals);
        if (globals.version) {
            std::printf("berth version %s\n", berth_version);
            return 0;
        }
        if (globals.noout) redirect_stdout_to_null();
        const CLI::App& command = *selected_command(root);
        log_debug("Called " + CommandTree::path_of(command) + " with " + std::to_string(argc - 1) + " arguments");
        log_trace("storage: --root " + (globals.root.empty() ? std::string("(default)") : globals.root) +
                  ", --runroot " + (globals.runroot.empty() ? std::string("(default)") : globals.runroot));
        auto extras = root.remaining(true);
        if (!extras.empty() && !command.get_prefix_command()) {
            print_error(unexpected_argument_message(command, extras.front()));
            return exit_berth_error;
        }
        return run_action(*tree, command);
    } catch (const Error& error) {
        print_error(error.what());
        return error.exit_status();
    } catch (const std::exception& error) {
        print_error(error.what());
        return exit_berth_error;
    }
}

}  // namespace berth::cli
