// Each command family adds its commands to the tree; app.cpp calls them all.
#pragma once

#include "cli/command_tree.hpp"
#include "cli/global_options.hpp"

namespace berth::cli {

void add_system_commands(CommandTree& tree, const GlobalOptions& globals);  // info, version
void add_shell_commands(CommandTree& tree);
void add_pull_command(CommandTree& tree, const GlobalOptions& globals);        // pull
void add_push_command(CommandTree& tree, const GlobalOptions& globals);        // push
void add_archive_commands(CommandTree& tree, const GlobalOptions& globals);    // save, load (after images)
void add_login_commands(CommandTree& tree);                                    // login, logout
void add_unshare_command(CommandTree& tree, const GlobalOptions& globals);     // unshare
void add_image_commands(CommandTree& tree, const GlobalOptions& globals);      // images, rmi, tag // help,
                                                                               // completion, __complete
void add_container_commands(CommandTree& tree, const GlobalOptions& globals);  // run, create, start, rm, container
void add_lifecycle_commands(CommandTree& tree, const GlobalOptions& globals);  // ps, logs, stop, kill, wait, ...
void add_process_commands(CommandTree& tree, CLI::App* container, const GlobalOptions& globals);  // top, pause, ...
void add_exec_commands(CommandTree& tree, CLI::App* container, const GlobalOptions& globals);     // exec
void add_port_commands(CommandTree& tree, CLI::App* container, const GlobalOptions& globals);     // port
void add_volume_commands(CommandTree& tree, const GlobalOptions& globals);                        // volume
void add_network_commands(CommandTree& tree, const GlobalOptions& globals);                       // network
void add_pod_commands(CommandTree& tree, const GlobalOptions& globals);                           // pod
void add_commit_commands(CommandTree& tree, CLI::App* container, const GlobalOptions& globals);   // commit, diff, ...
void add_build_commands(CommandTree& tree, const GlobalOptions& globals);                         // build, image build
void add_generate_commands(CommandTree& tree, const GlobalOptions& globals);                      // generate systemd
void add_container_lifecycle_commands(CommandTree& tree, CLI::App& container, const GlobalOptions& globals);

}  // namespace berth::cli
