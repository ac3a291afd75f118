// berth unshare: a command in the user namespace (and a new mount namespace) that rootless berth uses for its
// storage, as `podman unshare` does: to look at or remove files owned by subordinate ids, or to mount layers.
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

#include "cli/commands.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"

namespace berth::cli {
namespace {

[[noreturn]] void exec_command(std::vector<std::string> command) {
    if (command.empty()) {
        const char* shell = std::getenv("SHELL");
        command.push_back(shell != nullptr && *shell != '\0' ? shell : "/bin/sh");
    }
    std::vector<char*> argv;
    for (auto& word : command) argv.push_back(word.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    int err = errno;
    throw Error("exec " + command.front() + ": " + errno_text(err),
                err == ENOENT ? exit_not_found : exit_cannot_invoke);
}

int run_unshare(const std::vector<std::string>& command, const GlobalOptions& globals) {
    if (::geteuid() == 0) throw Error("please use unshare with rootless");
    auto storage = open_storage(globals, true);
    if (::unshare(CLONE_NEWNS) != 0) throw_last_errno("create a mount namespace");
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) throw_last_errno("make / private");
    ::setenv("CONTAINERS_GRAPHROOT", storage.graph_root.c_str(), 1);
    ::setenv("CONTAINERS_RUNROOT", storage.run_root.c_str(), 1);
    exec_command(command);
}

}  // namespace

void add_unshare_command(CommandTree& tree, const GlobalOptions& globals) {
    CommandHelp help{"[COMMAND [ARG...]]",
                     "Run a command in the user namespace berth uses for rootless storage, where the user is\n"
                     "root and the subordinate ids are the container's ids, and in a new mount namespace.\n"
                     "Without a command, runs $SHELL. CONTAINERS_GRAPHROOT and CONTAINERS_RUNROOT name the\n"
                     "storage paths. Only for rootless use, as in Podman.",
                     {"berth unshare ls -ln ~/.local/share/berth/layers", "berth unshare rm -rf /tmp/old-store"},
                     ValueKind::files};
    auto command = std::make_shared<CLI::App*>(nullptr);
    auto& unshare = tree.add_command(tree.root(), "unshare", "Run a command in berth's user namespace", std::move(help),
                                     [command, &globals] { return run_unshare((*command)->remaining(), globals); });
    *command = &unshare;
    unshare.prefix_command();
    unshare.fallthrough(false);
}

}  // namespace berth::cli
