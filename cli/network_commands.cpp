// berth network create, ls, inspect, rm, prune and exists: the network definitions of networks/, in Podman 4's
// format, with Podman's flags, output, messages and exit statuses.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/exists_command.hpp"
#include "cli/output/format.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "engine/container_start.hpp"
#include "gotemplate/tabwriter.hpp"
#include "netns/network_mode.hpp"
#include "networks/connections.hpp"
#include "networks/netavark.hpp"
#include "networks/network_filter.hpp"
#include "networks/network_store.hpp"
#include "networks/network_users.hpp"
#include "storage/container_store.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct CreateFlags {
    std::vector<std::string> name;  // at most one
    std::string driver = "bridge";
    std::string interface_name;
    std::vector<std::string> subnets, gateways, ip_ranges, labels, options;
    bool internal = false, disable_dns = false, ipv6 = false, ignore = false;
};

struct ListFlags {
    std::vector<std::string> filters;
    std::string format;
    bool quiet = false, noheading = false, no_trunc = false;
};

struct ConnectFlags {
    std::vector<std::string> names;  // NETWORK CONTAINER
    std::vector<std::string> aliases;
    std::string ip;
    bool force = false;
};

struct NamesFlags {
    std::vector<std::string> names, filters;
    std::string format;
    bool force = false;
    unsigned timeout = 10;
};

// The network as Go templates see Podman's types.Network.
json template_document(const networks::Network& network) {
    json subnets = json::array();
    for (const auto& subnet : network.subnets) {
        json entry = {{"Subnet", subnet.subnet}, {"Gateway", subnet.gateway}, {"LeaseRange", nullptr}};
        if (!subnet.lease_start.empty() || !subnet.lease_end.empty())
            entry["LeaseRange"] = {{"StartIP", subnet.lease_start}, {"EndIP", subnet.lease_end}};
        subnets.push_back(entry);
    }
    return {{"Name", network.name},
            {"ID", network.id},
            {"Driver", network.driver},
            {"NetworkInterface", network.network_interface},
            {"Created", network.created},
            {"Subnets", subnets},
            {"IPv6Enabled", network.ipv6_enabled},
            {"Internal", network.internal},
            {"DNSEnabled", network.dns_enabled},
            {"Labels", network.labels},
            {"Options", network.options},
            {"IPAMOptions", {{"driver", network.ipam_driver}}}};
}

// ls shows labels as one string, "a=b,c=d", as Podman's list report does.
std::string labels_text(const std::map<std::string, std::string>& labels) {
    std::string text;
    for (const auto& [key, value] : labels) text += (text.empty() ? "" : ",") + key + "=" + value;
    return text;
}

const TemplateSchema& network_list_schema() {
    static const TemplateSchema schema{"list",
                                       "entities.ListPrintReports",
                                       {{"Options", "map[string]string"}, {"IPAMOptions", "map[string]string"}},
                                       {"ID", "Name", "Driver"},
                                       {{"ID", "NETWORK ID"}}};
    return schema;
}

const TemplateSchema& network_inspect_schema() {
    static const TemplateSchema schema{
        "inspect",
        "types.Network",
        {{"Labels", "map[string]string"}, {"Options", "map[string]string"}, {"IPAMOptions", "map[string]string"}},
        {},
        {}};
    return schema;
}

int run_network_create(const CreateFlags& flags, const GlobalOptions& globals) {
    if (flags.name.size() > 1) throw Error("accepts at most 1 arg(s), received " + std::to_string(flags.name.size()));
    auto storage = open_storage(globals, false);
    networks::NetworkStore store(storage.graph_root);
    networks::CreateRequest request;
    request.name = flags.name.empty() ? "" : flags.name.front();
    request.driver = flags.driver;
    request.interface_name = flags.interface_name;
    request.subnets = flags.subnets;
    request.gateways = flags.gateways;
    request.ip_ranges = flags.ip_ranges;
    request.internal = flags.internal;
    request.disable_dns = flags.disable_dns;
    request.ipv6 = flags.ipv6;
    request.labels = parse_key_values(flags.labels);
    request.options = parse_key_values(flags.options);
    if (flags.ignore && !request.name.empty()) {
        auto lock = store.lock_exclusive();
        if (auto existing = store.find(request.name); existing && existing->name == request.name) {
            std::printf("%s\n", existing->name.c_str());
            return 0;
        }
    }
    std::printf("%s\n", store.create(request).name.c_str());
    return 0;
}

// Whether containers use a network, from one reading of the records.
std::function<bool(const std::string&)> usage_of(const StorageContext& storage) {
    auto records =
        std::make_shared<std::vector<storage::ContainerRecord>>(storage::ContainerStore(storage.graph_root).list());
    return [records](const std::string& name) {
        for (const auto& record : *records)
            if (networks::network_name_of(record.network) == name) return true;
        return false;
    };
}

int run_network_ls(const ListFlags& flags, const GlobalOptions& globals) {
    auto filter = networks::parse_network_filter(flags.filters, {"name", "id", "label", "driver", "until", "dangling"});
    auto storage = open_storage(globals, false);
    auto in_use = usage_of(storage);
    std::vector<networks::Network> shown;
    for (auto& network : networks::NetworkStore(storage.graph_root).list())
        if (networks::network_matches(filter, network, [&] { return in_use(network.name); }))
            shown.push_back(std::move(network));
    if (flags.quiet) {
        for (const auto& network : shown) std::printf("%s\n", network.name.c_str());
        return 0;
    }
    if (flags.format == "json") {
        ordered_json list = ordered_json::array();
        for (const auto& network : shown) list.push_back(networks::network_to_json(network));
        std::printf("%s\n", list.dump(2).c_str());
        return 0;
    }
    auto short_id = [&](const std::string& id) { return flags.no_trunc ? id : id.substr(0, 12); };
    if (flags.format.empty()) {
        std::string table = flags.noheading ? "" : "NETWORK ID\tNAME\tDRIVER\n";
        for (const auto& network : shown)
            table += short_id(network.id) + "\t" + network.name + "\t" + network.driver + "\n";
        std::fputs(gotemplate::align_columns(table).c_str(), stdout);
        return 0;
    }
    json rows = json::array();
    for (const auto& network : shown) {
        auto row = template_document(network);
        row["ID"] = short_id(network.id);
        row["Labels"] = labels_text(network.labels);
        rows.push_back(row);
    }
    std::string text = format_list(rows, flags.format, network_list_schema());
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

int run_network_inspect(const NamesFlags& flags, const GlobalOptions& globals) {
    if (flags.names.empty()) throw Error("requires at least 1 arg(s), only received 0");
    auto storage = open_storage(globals, false);
    networks::NetworkStore store(storage.graph_root);
    std::vector<networks::Network> found;
    std::string missing;
    for (const auto& name : flags.names) {
        if (auto network = store.find(name))
            found.push_back(*network);
        else if (missing.empty())
            missing = name;
    }
    if (flags.format.empty() || flags.format == "json") {
        ordered_json documents = ordered_json::array();
        for (const auto& network : found) documents.push_back(networks::network_to_json(network));
        std::printf("%s\n", documents.dump(5).c_str());
    } else {
        json documents = json::array();
        for (const auto& network : found) documents.push_back(template_document(network));
        print_inspect(documents, flags.format, network_inspect_schema());
    }
    if (!missing.empty())
        throw Error("inspecting object: network " + missing + ": unable to find network with name or ID " + missing +
                    ": network not found");
    return 0;
}

networks::NetavarkPaths network_paths(const StorageContext& storage) {
    return {storage.run_root + "/networks", storage.graph_root};
}

// Removes one network: with force its containers go first (killed when running), else none may use it.
void remove_network(const StorageContext& storage, const std::string& name_or_id, bool force) {
    networks::NetworkStore store(storage.graph_root);
    auto network = store.get(name_or_id);
    if (network.name == networks::default_network_name)
        throw Error("default network " + network.name + " cannot be removed");
    auto remove_files = [&storage](const std::string& path) { remove_storage_tree(storage, path); };
    if (force)
        for (const auto& id : networks::containers_using(storage.graph_root, network.name))
            engine::remove_container(storage.graph_root, id, true, remove_files);
    auto containers_lock = storage::ContainerStore(storage.graph_root).lock_exclusive();
    if (!networks::containers_using(storage.graph_root, network.name).empty())
        networks::throw_network_in_use(network.name);
    networks::reconcile_network(network, network_paths(storage));
    store.remove(network.name);
}

int run_network_rm(const NamesFlags& flags, const GlobalOptions& globals) {
    if (flags.names.empty()) throw Error("requires at least 1 arg(s), only received 0");
    auto storage = open_storage(globals, false);
    int status = 0;
    for (const auto& name : flags.names) {
        try {
            remove_network(storage, name, flags.force);
            std::printf("%s\n", name.c_str());
            std::fflush(stdout);
        } catch (const Error& error) {
            std::fprintf(stderr, "Error: %s\n", error.what());
            status = status == 0 ? error.exit_status() : std::max(status, error.exit_status());
        }
    }
    return status;
}

bool confirmed() {
    std::printf(
        "WARNING! This will remove all networks not used by at least one container.\n"
        "Are you sure you want to continue? [y/N] ");
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "y" || answer == "Y" || answer == "yes";
}

int run_network_prune(const NamesFlags& flags, const GlobalOptions& globals) {
    auto filter = networks::parse_network_filter(flags.filters, {"label", "until"});
    auto storage = open_storage(globals, false);
    if (!flags.force && !confirmed()) return 0;
    networks::NetworkStore store(storage.graph_root);
    auto containers_lock = storage::ContainerStore(storage.graph_root).lock_exclusive();
    auto in_use = usage_of(storage);
    int status = 0;
    for (const auto& network : store.list()) {
        if (network.name == networks::default_network_name || in_use(network.name) ||
            !networks::network_matches(filter, network, [] { return false; }))
            continue;
        try {
            networks::reconcile_network(network, network_paths(storage));
            store.remove(network.name);
            std::printf("%s\n", network.name.c_str());
        } catch (const Error& error) {
            std::fprintf(stderr, "Error: %s\n", error.what());
            status = exit_berth_error;
        }
    }
    return status;
}

struct ConnectTarget {
    networks::Network network;
    storage::ContainerRecord container;
    std::vector<std::string> connections;
};

ConnectTarget connect_target(const StorageContext& storage, const std::vector<std::string>& names) {
    if (names.size() != 2) throw Error("accepts 2 arg(s), received " + std::to_string(names.size()));
    if (storage.rootless) throw Error("network connect: user-defined networks need root for now");
    ConnectTarget target;
    auto network = networks::NetworkStore(storage.graph_root).find(names[0]);
    if (!network) throw Error("unable to find network with name or ID " + names[0] + ": network not found");
    target.network = *network;
    auto container = storage::ContainerStore(storage.graph_root).find(names[1]);
    if (!container) throw Error("no container with name or ID \"" + names[1] + "\" found: no such container");
    target.container = engine::reconciled(*container);
    target.connections = networks::read_connections(storage.graph_root, target.container.id);
    return target;
}

networks::NetavarkPaths network_paths(const StorageContext& storage);

// The first of eth1, eth2, ... that no connected network uses.
std::string free_interface(const std::vector<std::string>& connections) {
    for (unsigned number = 1;; ++number) {
        std::string name = "eth" + std::to_string(number);
        if (std::none_of(connections.begin(), connections.end(), [&](const std::string& text) {
                return networks::parse_endpoint(text).interface_name == name;
            }))
            return name;
    }
}

int run_network_connect(const ConnectFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    auto containers_lock = storage::ContainerStore(storage.graph_root).lock_exclusive();
    auto target = connect_target(storage, flags.names);
    const auto& record = target.container;
    // Podman succeeds without a change when it is connected already.
    if (networks::connected_to(storage.graph_root, record, target.network.name)) return 0;
    auto mode = netns::parse_network(record.network, record.rootless, "");
    if (mode.kind == netns::NetworkKind::host)
        throw Error("container " + record.id + " uses the host's network: it cannot join another");
    networks::NetworkEndpoint endpoint;
    endpoint.network = target.network.name;
    endpoint.static_ip = flags.ip;
    endpoint.aliases = flags.aliases;
    endpoint.interface_name = free_interface(target.connections);
    if (engine::container_running(record)) {
        networks::NetavarkRequest request;
        request.container_id = record.id;
        request.container_name = record.name;
        request.endpoint = endpoint;
        request.network = target.network;
        networks::NetavarkAttachment attachment(std::move(request), record.pid, network_paths(storage));
        attachment.keep();  // the container's monitor tears it down when the container exits
    }
    target.connections.push_back(networks::endpoint_text(endpoint));
    networks::write_connections(storage.graph_root, record.id, target.connections);
    return 0;
}

int run_network_disconnect(const ConnectFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    auto containers_lock = storage::ContainerStore(storage.graph_root).lock_exclusive();
    auto target = connect_target(storage, flags.names);
    const auto& record = target.container;
    const std::string& name = target.network.name;
    auto connected = std::find_if(target.connections.begin(), target.connections.end(),
                                  [&](const std::string& text) { return networks::network_name_of(text) == name; });
    bool primary = networks::network_name_of(record.network) == name;
    if (connected == target.connections.end() && !primary)
        throw Error("container " + flags.names[1] + " is not connected to network " + name);
    if (engine::container_running(record))
        networks::tear_down_leftover(
            target.network, record.id, network_paths(storage),
            primary ? std::string("eth0") : networks::parse_endpoint(*connected).interface_name);
    if (connected != target.connections.end()) {
        target.connections.erase(connected);
        networks::write_connections(storage.graph_root, record.id, target.connections);
    } else {
        // The network it was created on: it starts without a network of its own from now on.
        storage::ContainerStore(storage.graph_root).update(record.id, [](storage::ContainerRecord& changed) {
            changed.network = "none";
            changed.ports.clear();
        });
    }
    return 0;
}

void add_network_create(CommandTree& tree, CLI::App& network, const GlobalOptions& globals) {
    auto flags = std::make_shared<CreateFlags>();
    CommandHelp help{"[options] [NAME]",
                     "Create a bridge network that containers join with --network NAME; containers on one network\n"
                     "reach each other by name (through aardvark-dns) unless --disable-dns. Without --subnet the\n"
                     "first free subnet of 10.89.0.0/24, 10.89.1.0/24, ... is taken, as Podman does. The definition\n"
                     "is kept in Podman 4's format, <graph root>/networks/NAME.json.",
                     {"berth network create web", "berth network create --subnet 10.90.0.0/24 --gateway 10.90.0.254 db",
                      "berth network create --internal --label app=web backend"},
                     ValueKind::none};
    auto& create = tree.add_command(network, "create", "Create networks for containers", std::move(help),
                                    [flags, &globals] { return run_network_create(*flags, globals); });
    create.add_option("name", flags->name, "The network's name");
    create.add_option("-d,--driver", flags->driver, "Driver to manage the network (bridge)")->capture_default_str();
    create.add_option("--interface-name", flags->interface_name, "Name of the network's bridge interface");
    create.add_option("--subnet", flags->subnets, "Subnets in CIDR format");
    create.add_option("--gateway", flags->gateways, "IPv4 or IPv6 gateway for the subnet");
    create.add_option("--ip-range", flags->ip_ranges, "Allocate container IPs from a range (CIDR)");
    create.add_flag("--internal", flags->internal, "Restrict external access from this network");
    create.add_flag("--disable-dns", flags->disable_dns, "Disable DNS plugin");
    create.add_flag("--ipv6", flags->ipv6, "Enable IPv6 networking");
    create.add_option("--label", flags->labels, "Set metadata on a network (KEY=VALUE)");
    create.add_option("-o,--opt", flags->options, "Set driver specific options (mtu=, vlan=, isolate=, metric=)");
    create.add_flag("--ignore", flags->ignore, "Do not fail if the network already exists");
}

void add_network_ls(CommandTree& tree, CLI::App& network, const GlobalOptions& globals) {
    auto flags = std::make_shared<ListFlags>();
    CommandHelp help{"[options]",
                     "List networks, the default network \"podman\" among them.",
                     {"berth network ls", "berth network ls --filter label=app=web -q",
                      "berth network ls --format '{{.Name}} {{.NetworkInterface}}'"},
                     ValueKind::none};
    auto& ls = tree.add_command(network, "ls", "List networks", std::move(help),
                                [flags, &globals] { return run_network_ls(*flags, globals); });
    ls.alias("list");
    ls.add_option("-f,--filter", flags->filters,
                  "Provide filter values (name=, id=, label=, driver=, until=, dangling=)");
    ls.add_option("--format", flags->format, "Pretty-print networks to JSON or using a Go template");
    ls.add_flag("-q,--quiet", flags->quiet, "Display only names");
    ls.add_flag("-n,--noheading", flags->noheading, "Do not print headers");
    ls.add_flag("--no-trunc", flags->no_trunc, "Do not truncate the network ID");
}

void add_network_inspect(CommandTree& tree, CLI::App& network, const GlobalOptions& globals) {
    auto flags = std::make_shared<NamesFlags>();
    CommandHelp help{"[options] NETWORK [NETWORK...]",
                     "Display the definitions of networks as JSON, as Podman prints them.",
                     {"berth network inspect web", "berth network inspect --format '{{.NetworkInterface}}' web"},
                     ValueKind::none};
    auto& inspect =
        tree.add_command(network, "inspect", "Displays the raw CNI network configuration for one or more networks",
                         std::move(help), [flags, &globals] { return run_network_inspect(*flags, globals); });
    inspect.add_option("network", flags->names, "Networks to inspect");
    inspect.add_option("-f,--format", flags->format, "Pretty-print network to JSON or using a Go template");
}

void add_network_rm(CommandTree& tree, CLI::App& network, const GlobalOptions& globals) {
    auto flags = std::make_shared<NamesFlags>();
    CommandHelp help{"[options] NETWORK [NETWORK...]",
                     "Remove networks. A network that containers use is removed only with --force, which removes\n"
                     "those containers first.",
                     {"berth network rm web", "berth network rm --force web"},
                     ValueKind::none};
    auto& rm = tree.add_command(network, "rm", "Remove networks", std::move(help),
                                [flags, &globals] { return run_network_rm(*flags, globals); });
    rm.alias("remove");
    rm.add_option("network", flags->names, "Networks to remove");
    rm.add_flag("-f,--force", flags->force, "Remove any containers using the network");
    rm.add_option("-t,--time", flags->timeout, "Seconds to wait for running containers to stop (they are killed)");
}

void add_network_prune(CommandTree& tree, CLI::App& network, const GlobalOptions& globals) {
    auto flags = std::make_shared<NamesFlags>();
    CommandHelp help{"[options]",
                     "Remove the networks no container uses (never the default one), after asking (not with --force).",
                     {"berth network prune --force", "berth network prune --filter label=app=web -f"},
                     ValueKind::none};
    auto& prune = tree.add_command(network, "prune", "Prune unused networks", std::move(help),
                                   [flags, &globals] { return run_network_prune(*flags, globals); });
    prune.add_option("--filter", flags->filters, "Provide filter values (label=KEY[=VALUE], until=TIME)");
    prune.add_flag("-f,--force", flags->force, "Do not prompt for confirmation");
}

void add_network_connect(CommandTree& tree, CLI::App& network, const GlobalOptions& globals) {
    auto flags = std::make_shared<ConnectFlags>();
    CommandHelp help{"[options] NETWORK CONTAINER",
                     "Connect a container to one more network (as root): a running container gets its next\n"
                     "interface (eth1, eth2, ...) there at once, a stopped one when it starts.",
                     {"berth network connect backend web", "berth network connect --alias api backend web"},
                     ValueKind::none};
    auto& connect = tree.add_command(network, "connect", "Add container to a network", std::move(help),
                                     [flags, &globals] { return run_network_connect(*flags, globals); });
    connect.add_option("names", flags->names, "The network and the container");
    connect.add_option("--alias", flags->aliases, "Network scoped alias for the container");
    connect.add_option("--ip", flags->ip, "Set a static IPv4 address for this container on the network");
    auto disconnect_flags = std::make_shared<ConnectFlags>();
    CommandHelp disconnect_help{"[options] NETWORK CONTAINER",
                                "Disconnect a container from a network: a running one loses its interface there at "
                                "once.",
                                {"berth network disconnect backend web"},
                                ValueKind::none};
    auto& disconnect =
        tree.add_command(network, "disconnect", "Disconnect a container from a network", std::move(disconnect_help),
                         [disconnect_flags, &globals] { return run_network_disconnect(*disconnect_flags, globals); });
    disconnect.add_option("names", disconnect_flags->names, "The network and the container");
    disconnect.add_flag("-f,--force", disconnect_flags->force, "Force the disconnection (accepted)");
}

}  // namespace

void add_network_commands(CommandTree& tree, const GlobalOptions& globals) {
    if (!tree.wants("network")) return;
    CommandHelp group_help{"[command]",
                           "Manage networks: create, list, inspect, remove and prune them.",
                           {"berth network create web", "berth run -d --network web --name db busybox httpd -f"},
                           ValueKind::none};
    auto& network = tree.add_command(tree.root(), "network", "Manage networks", std::move(group_help), nullptr);
    add_network_create(tree, network, globals);
    add_network_ls(tree, network, globals);
    add_network_inspect(tree, network, globals);
    add_network_rm(tree, network, globals);
    add_network_prune(tree, network, globals);
    add_exists_command(tree, network, globals,
                       {"network", "berth network exists web", ValueKind::none,
                        [](const StorageContext& storage, const std::string& name) {
                            return networks::NetworkStore(storage.graph_root).find(name).has_value();
                        }});
    add_network_connect(tree, network, globals);
}

}  // namespace berth::cli
