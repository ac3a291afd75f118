// berth port (and berth container port): the published ports of containers.
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "engine/container_control.hpp"
#include "engine/container_network.hpp"

namespace berth::cli {
namespace {

struct PortFlags {
    std::vector<std::string> arguments;  // [CONTAINER] [PRIVATE_PORT[/PROTO]]
    bool all = false, latest = false;
};

// Every mapping of one container, or the host addresses of one of its ports (Error when it has none).
void print_ports(const storage::ContainerRecord& record, const std::string& private_port, const std::string& prefix) {
    if (private_port.empty()) {
        for (const auto& line : engine::port_lines(record)) std::printf("%s%s\n", prefix.c_str(), line.c_str());
        return;
    }
    auto addresses = engine::port_host_addresses(record, private_port);
    std::string shown = private_port.find('/') == std::string::npos ? private_port + "/tcp" : private_port;
    if (addresses.empty()) throw Error("failed to find published port \"" + shown + "\"");
    for (const auto& address : addresses) std::printf("%s%s\n", prefix.c_str(), address.c_str());
}

int run_port(const PortFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    storage::ContainerStore store(storage.graph_root);
    if (flags.all) {
        if (flags.arguments.size() > 1) throw Error("the --all option takes at most a port, not a container");
        std::string port = flags.arguments.empty() ? "" : flags.arguments.front();
        for (const auto& record : store.list())
            if (!record.ports.empty() && (port.empty() || !engine::port_host_addresses(record, port).empty()))
                print_ports(record, port, record.id.substr(0, 12) + "\t");
        return 0;
    }
    std::vector<std::string> rest = flags.arguments;
    storage::ContainerRecord record;
    if (flags.latest) {
        auto all = store.list();
        if (all.empty()) throw Error("no containers to list the ports of");
        record = all.back();
    } else {
        if (rest.empty()) throw Error("you must supply a running container name or id");
        record = engine::find_container(storage.graph_root, rest.front());
        rest.erase(rest.begin());
    }
    if (rest.size() > 1)
        throw Error("accepts at most a container and a port, received " + std::to_string(flags.arguments.size()) +
                    " arguments");
    print_ports(record, rest.empty() ? "" : rest.front(), "");
    return 0;
}

void add_port(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "port")) return;
    auto flags = std::make_shared<PortFlags>();
    CommandHelp help{"[options] CONTAINER [PRIVATE_PORT[/PROTO]]",
                     "List the port mappings of a container (-p, -P), or the host address that a private\n"
                     "port of the container is published on.",
                     {"berth port web", "berth port web 80", "berth port web 53/udp", "berth port --all"},
                     ValueKind::containers};
    auto& port = tree.add_command(parent, "port", "List port mappings or a specific mapping for the container",
                                  std::move(help), [flags, &globals] { return run_port(*flags, globals); });
    port.add_option("arguments", flags->arguments, "CONTAINER [PRIVATE_PORT[/PROTO]]");
    port.add_flag("-a,--all", flags->all, "Display port information for all containers");
    port.add_flag("-l,--latest", flags->latest, "Act on the latest container berth is aware of");
}

}  // namespace

void add_port_commands(CommandTree& tree, CLI::App* container, const GlobalOptions& globals) {
    add_port(tree, container ? *container : tree.root(), globals);
}

}  // namespace berth::cli
