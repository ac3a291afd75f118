#include "cli/run_flags.hpp"

#include <arpa/inet.h>

#include "cli/registry_options.hpp"
#include "common/error.hpp"
#include "engine/container_network.hpp"
#include "engine/runtime_spec.hpp"

namespace berth::cli {

namespace {

bool is_ip_address(const std::string& text) {
    unsigned char buffer[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, text.c_str(), buffer) == 1 || ::inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

}  // namespace

std::pair<std::string, std::string> parse_add_host(const std::string& value) {
    auto colon = value.find(':');
    if (colon == std::string::npos || colon == 0)
        throw Error("invalid value \"" + value + "\" for --add-host: expected HOST:IP");
    std::string address = value.substr(colon + 1);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']')
        address = address.substr(1, address.size() - 2);
    if (!is_ip_address(address)) throw Error("invalid IP address in add-host: \"" + address + "\"");
    return {value.substr(0, colon), address};
}

PullPolicy parse_pull_policy(const std::string& value) {
    if (value == "missing" || value == "ifmissing" || value == "ifnotpresent") return PullPolicy::missing;
    if (value == "always" || value == "newer" || value == "ifnewer") return PullPolicy::always;
    if (value == "never") return PullPolicy::never;
    throw Error("invalid pull policy \"" + value + "\"");
}

void add_run_flags(CommandTree& tree, CLI::App& command, RunFlags& flags) {
    command.set_help_flag("--help", "help for " + command.get_name());
    command.add_option("--name", flags.name, "Assign a name to the container");
    command
        .add_option("--entrypoint", flags.entrypoint,
                    "Overwrite the default ENTRYPOINT of the image (a command, or a JSON array)")
        ->each([&flags](const std::string&) { flags.entrypoint_given = true; });
    command.add_option("-e,--env", flags.env, "Set environment variables in the container (KEY=VALUE, KEY, PREFIX*)");
    tree.set_value_kind(command.add_option("--env-file", flags.env_file, "Read in a file of environment variables"),
                        ValueKind::files);
    command.add_option("-w,--workdir", flags.workdir, "Working directory inside the container");
    command.add_option("-u,--user", flags.user, "Username or UID (format: <name|uid>[:<group|gid>])");
    command.add_option("--group-add", flags.group_add, "Add additional groups to the primary container process");
    command.add_option("-h,--hostname", flags.hostname, "Set the container's host name");
    command.add_option("-v,--volume", flags.volume,
                       "Bind mount a host directory or a volume ([HOST-DIR|VOLUME:]CONTAINER-DIR[:OPTIONS])");
    command.add_option("--mount", flags.mount, "Attach a file system mount (type=bind|volume|tmpfs,...)");
    command.add_option("--tmpfs", flags.tmpfs, "Mount a temporary file system (PATH[:OPTIONS])");
    command.add_option("--volumes-from", flags.volumes_from,
                       "Mount the volumes of another container (CONTAINER[:ro|rw])");
    command.add_flag("--read-only", flags.read_only, "Make the container's root file system read-only");
    command.add_flag("--read-only-tmpfs", flags.read_only_tmpfs,
                     "With --read-only, mount tmpfs on /run, /tmp and /var/tmp (default true)");
    command.add_option("--cap-add", flags.cap_add, "Add capabilities to the container");
    command.add_option("--cap-drop", flags.cap_drop, "Drop capabilities from the container");
    command.add_flag("--privileged", flags.privileged, "Give extended privileges to the container");
    command.add_option("--security-opt", flags.security_opt,
                       "Security options (no-new-privileges, seccomp=unconfined|PROFILE, mask=, unmask=)");
    command.add_option("--ulimit", flags.ulimit, "Ulimit options (NAME=SOFT[:HARD])");
    command.add_option("--userns", flags.userns, "User namespace to use (keep-id, host, nomap)");
    command.add_option("--pid", flags.pid, "PID namespace to use (host)");
    command.add_option("--ipc", flags.ipc, "IPC namespace to use (host)");
    command.add_option("--uts", flags.uts, "UTS namespace to use (host)");
    command.add_option("--pod", flags.pod, "Run container in an existing pod (NAME, or new:NAME to create it)");
    command.add_option("--network,--net", flags.network,
                       "Connect a container to a network (none, host, slirp4netns[:OPTIONS], pasta[:OPTIONS], "
                       "bridge or a network name[:ip=IP,alias=NAME])");
    command.add_option("--network-alias", flags.network_aliases, "Add a network-scoped alias for the container");
    command.add_option("--ip", flags.ip, "Specify a static IPv4 address for the container on its network");
    command.add_option("--mac-address", flags.mac_address,
                       "Container MAC address on its network (e.g. 92:d0:c6:0a:29:33)");
    command.add_option("-p,--publish", flags.publish,
                       "Publish a container's port, or a range of ports, to the host "
                       "([[ip:]hostPort:]containerPort[/tcp|udp])");
    command.add_flag("-P,--publish-all", flags.publish_all,
                     "Publish all exposed ports to random ports on the host interfaces");
    command.add_option("--dns", flags.dns, "Set custom DNS servers");
    command.add_option("--dns-search", flags.dns_search, "Set custom DNS search domains");
    command.add_option("--dns-option", flags.dns_option, "Set custom DNS options");
    command.add_option("--add-host", flags.add_host, "Add a custom host-to-IP mapping (host:ip)");
    command.add_option("-m,--memory", flags.memory, "Memory limit (format: <number>[<unit>], unit = b, k, m or g)");
    command.add_option("--cpus", flags.cpus, "Number of CPUs");
    command.add_option("--pids-limit", flags.pids_limit, "Tune the container's pids limit (-1 for unlimited)");
    command.add_flag("--init", flags.init,
                     "Run an init inside the container that forwards signals and reaps processes");
    command.add_option("-l,--label", flags.label, "Set metadata on the container (KEY=VALUE)");
    command.add_option("--annotation", flags.annotation, "Add an annotation to the container (KEY=VALUE)");
    command.add_flag("--rm", flags.rm, "Remove the container when it exits");
    command.add_flag("-t,--tty", flags.tty, "Allocate a pseudo-TTY for the container");
    command.add_flag("-i,--interactive", flags.interactive, "Keep STDIN open even if not attached");
    tree.set_choices(
        command.add_option("--pull", flags.pull, "Pull the image before creating (always, missing, never)")
            ->capture_default_str(),
        {"always", "missing", "never", "newer"});
    command.add_flag("-q,--quiet", flags.quiet, "Suppress output information when pulling images");
    command.add_flag("--sig-proxy", flags.sig_proxy, "Proxy received signals to the process (default true)");
    command
        .add_option("--restart", flags.restart,
                    "Restart policy when the container exits (no, on-failure[:N], always, unless-stopped)")
        ->capture_default_str();
    command.add_option("--log-opt", flags.log_opt, "Logging driver options (max-size=SIZE)");
    command.add_flag("--replace", flags.replace, "Replace a container with the same name, removing it first");
    command.add_option("--cidfile", flags.cidfile, "Write the container ID to the file");
    command.add_option("--sdnotify", flags.sdnotify,
                       "Control sd-notify behavior (conmon: tell systemd READY=1 and the monitor's pid once the "
                       "container runs; ignore; container is not supported yet)");
    add_tls_verify_option(tree, command, flags.tls_verify);
    add_authfile_option(tree, command, flags.authfile);
    // IMAGE [COMMAND [ARG...]]: everything from the first word that is not a flag belongs to the container, so
    // the parser stops there (flags.arguments is filled from the rest by the command's action).
    command.prefix_command();
    command.fallthrough(false);
}

engine::RunOptions to_run_options(const RunFlags& flags) {
    using namespace engine;
    RunOptions options;
    options.name = flags.name;
    if (flags.entrypoint_given) options.entrypoint = flags.entrypoint;
    if (flags.arguments.size() > 1) options.command.assign(flags.arguments.begin() + 1, flags.arguments.end());
    options.env = collect_env(flags.env_file, flags.env, current_environment());
    if (!flags.workdir.empty() && flags.workdir.front() != '/')
        throw Error("workdir \"" + flags.workdir + "\" must be an absolute path");
    options.workdir = flags.workdir;
    options.user = flags.user;
    options.group_add = flags.group_add;
    options.hostname = flags.hostname;
    for (const auto& value : flags.volume) options.mounts.push_back(parse_volume(value));
    for (const auto& value : flags.mount) options.mounts.push_back(parse_mount(value));
    for (const auto& value : flags.tmpfs) options.mounts.push_back(parse_tmpfs(value));
    options.read_only = flags.read_only;
    options.read_only_tmpfs = flags.read_only_tmpfs;
    for (const auto& value : flags.cap_add)
        for (auto& name : parse_capabilities(value)) options.cap_add.push_back(name);
    for (const auto& value : flags.cap_drop)
        for (auto& name : parse_capabilities(value)) options.cap_drop.push_back(name);
    options.privileged = flags.privileged;
    for (const auto& value : flags.security_opt) apply_security_opt(options, value);
    for (const auto& value : flags.ulimit) options.ulimits.push_back(parse_ulimit(value));
    options.userns = parse_userns(flags.userns);
    options.pid_host = parse_namespace_host("--pid", flags.pid);
    options.ipc_host = parse_namespace_host("--ipc", flags.ipc);
    options.uts_host = parse_namespace_host("--uts", flags.uts);
    options.network = flags.network;
    options.ip = flags.ip;
    options.mac_address = flags.mac_address;
    options.network_aliases = flags.network_aliases;
    for (const auto& value : flags.publish)
        for (auto& mapping : engine::parse_publish_flag(value)) options.ports.push_back(mapping);
    options.publish_all = flags.publish_all;
    for (const auto& server : flags.dns) {
        if (!is_ip_address(server)) throw Error(server + " is not an ip address");
        options.dns.push_back(server);
    }
    options.dns_search = flags.dns_search;
    options.dns_option = flags.dns_option;
    for (const auto& value : flags.add_host) options.add_hosts.push_back(parse_add_host(value));
    if (!flags.memory.empty()) options.memory = parse_memory(flags.memory);
    if (!flags.cpus.empty()) options.cpus = parse_cpus(flags.cpus);
    if (!flags.pids_limit.empty()) options.pids_limit = parse_pids_limit(flags.pids_limit);
    options.init = flags.init;
    for (const auto& value : flags.label) options.labels.insert(parse_key_value("--label", value));
    for (const auto& value : flags.annotation) options.annotations.insert(parse_key_value("--annotation", value));
    options.rm = flags.rm;
    options.tty = flags.tty;
    options.interactive = flags.interactive;
    return options;
}

}  // namespace berth::cli
