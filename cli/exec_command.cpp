// berth exec (and berth container exec): a command in a running container.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "engine/container_control.hpp"
#include "engine/container_exec.hpp"
#include "engine/runtime_spec.hpp"

namespace berth::cli {
namespace {

struct ExecFlags {
    bool interactive = false, tty = false, detach = false, privileged = false, latest = false;
    std::vector<std::string> env, env_file;
    std::string user, workdir;
    std::vector<std::string> arguments;  // CONTAINER COMMAND [ARG...]
};

int run_exec(const ExecFlags& flags, const GlobalOptions& globals) {
    if (flags.arguments.size() < (flags.latest ? 1u : 2u))
        throw Error("exec requires the name or ID of a container and a command to run");
    if (!flags.workdir.empty() && flags.workdir.front() != '/')
        throw Error("workdir \"" + flags.workdir + "\" must be an absolute path");
    auto storage = open_storage(globals, false);
    engine::ExecRequest request;
    request.graph_root = storage.graph_root;
    request.run_root = storage.run_root;
    size_t first_word = 1;
    if (flags.latest) {
        auto all = storage::ContainerStore(storage.graph_root).list();
        if (all.empty()) throw Error("no containers to exec in");
        request.id = all.back().id;
        first_word = 0;
    } else {
        request.id = engine::find_container(storage.graph_root, flags.arguments.front()).id;
    }
    request.command.assign(flags.arguments.begin() + static_cast<long>(first_word), flags.arguments.end());
    request.env = engine::collect_env(flags.env_file, flags.env, engine::current_environment());
    request.user = flags.user;
    request.workdir = flags.workdir;
    request.tty = flags.tty;
    request.interactive = flags.interactive;
    request.privileged = flags.privileged;
    if (flags.detach) {
        engine::exec_detached(request);
        return 0;
    }
    return engine::exec_in_container(request);
}

void add_exec(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "exec")) return;
    auto flags = std::make_shared<ExecFlags>();
    CommandHelp help{"[options] CONTAINER COMMAND [ARG...]",
                     "Run a command in a running container. It joins all of the container's namespaces, the\n"
                     "user namespace included, and runs with the container's capabilities, seccomp profile\n"
                     "and limits. berth exits with the command's status (126: it cannot be invoked, 127: not\n"
                     "found).",
                     {"berth exec web cat /etc/hostname", "berth exec -it web sh", "berth exec -u nobody web id"},
                     ValueKind::containers};
    auto command = std::make_shared<CLI::App*>(nullptr);
    auto& exec = tree.add_command(parent, "exec", "Run a process in a running container", std::move(help),
                                  [flags, command, &globals] {
                                      flags->arguments = (*command)->remaining();
                                      return run_exec(*flags, globals);
                                  });
    *command = &exec;
    exec.add_flag("-i,--interactive", flags->interactive, "Keep STDIN open even if not attached");
    exec.add_flag("-t,--tty", flags->tty, "Allocate a pseudo-TTY");
    exec.add_flag("-d,--detach", flags->detach, "Run the exec session in detached mode (backgrounded)");
    exec.add_flag("--privileged", flags->privileged, "Give the process the capabilities of the bounding set");
    exec.add_flag("-l,--latest", flags->latest, "Act on the latest container berth knows about");
    exec.add_option("-e,--env", flags->env, "Set environment variables")->allow_extra_args(false);
    tree.set_value_kind(exec.add_option("--env-file", flags->env_file, "Read in a file of environment variables")
                            ->allow_extra_args(false),
                        ValueKind::files);
    exec.add_option("-u,--user", flags->user, "Sets the username or UID used and optionally the groupname or GID");
    exec.add_option("-w,--workdir", flags->workdir, "Working directory inside the container");
    exec.prefix_command();
    exec.fallthrough(false);
}

}  // namespace

void add_exec_commands(CommandTree& tree, CLI::App* container, const GlobalOptions& globals) {
    add_exec(tree, container ? *container : tree.root(), globals);
}

}  // namespace berth::cli
