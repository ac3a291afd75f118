// The flags `berth run` and `berth create` share, as Podman names them, and their conversion to RunOptions.
#pragma once

#include <string>
#include <vector>

#include "cli/command_tree.hpp"
#include "engine/run_options.hpp"

namespace berth::cli {

// Flag values as CLI11 leaves them; to_run_options() checks and converts them.
struct RunFlags {
    std::string name, entrypoint, workdir, user, hostname, userns, pid, ipc, uts, network, ip, mac_address, memory,
        cpus, pids_limit, pull = "missing", tls_verify, authfile, restart = "no", cidfile, sdnotify, pod;
    std::vector<std::string> log_opt;
    bool replace = false;
    bool entrypoint_given = false;
    std::vector<std::string> env, env_file, group_add, volume, mount, tmpfs, cap_add, cap_drop, security_opt, ulimit,
        label, annotation, publish, dns, dns_search, dns_option, add_host, volumes_from, network_aliases;
    bool read_only = false, read_only_tmpfs = true, privileged = false, init = false, rm = false, tty = false,
         interactive = false, detach = false, quiet = false, publish_all = false;
    bool sig_proxy = true;
    std::vector<std::string> arguments;  // IMAGE [COMMAND [ARG...]]: the command's remaining() words
};

// When to pull the image (--pull).
enum class PullPolicy { missing, always, never };
PullPolicy parse_pull_policy(const std::string& value);

// Adds the shared flags to `command`; `-h` is --hostname there, as in Podman (help is --help).
void add_run_flags(CommandTree& tree, CLI::App& command, RunFlags& flags);

// --add-host NAME:IP (IPv6 addresses keep their colons: the name ends at the first one).
std::pair<std::string, std::string> parse_add_host(const std::string& value);

// Checks and converts the flags; the image and command come from flags.arguments. Throws Error in Podman's words.
engine::RunOptions to_run_options(const RunFlags& flags);

}  // namespace berth::cli
