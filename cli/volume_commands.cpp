// berth volume create, ls, inspect, rm, prune and exists: the volumes of volumes/, with Podman's flags, output,
// messages and exit statuses.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/exists_command.hpp"
#include "cli/output/format.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/strings.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_start.hpp"
#include "gotemplate/tabwriter.hpp"
#include "storage/container_store.hpp"
#include "volumes/volume_filter.hpp"
#include "volumes/volume_name.hpp"
#include "volumes/volume_options.hpp"
#include "volumes/volume_store.hpp"
#include "volumes/volume_users.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

struct CreateFlags {
    std::vector<std::string> name;  // at most one
    std::string driver = "local";
    std::vector<std::string> labels, options;
    bool ignore = false;
};

struct ListFlags {
    std::vector<std::string> filters;
    std::string format;
    bool quiet = false, noheading = false;
};

struct NamesFlags {
    std::vector<std::string> names, filters;
    std::string format;
    bool all = false, force = false;
    unsigned timeout = 10;
};

volumes::VolumeStore volume_store(const StorageContext& storage) {
    return volumes::VolumeStore(storage.graph_root,
                                [storage](const std::string& path) { remove_storage_tree(storage, path); });
}

// The document inspect prints, in Podman's order of keys.
ordered_json volume_json(const volumes::VolumeStore& store, const volumes::VolumeRecord& volume) {
    ordered_json out = {{"Name", volume.name},
                        {"Driver", volume.driver},
                        {"Mountpoint", store.paths_of(volume.name).data},
                        {"CreatedAt", engine::format_time_ns(volume.created_ns)},
                        {"Labels", volume.labels},
                        {"Scope", "local"},
                        {"Options", volume.options}};
    if (volume.anonymous) out["Anonymous"] = true;
    out["MountCount"] = 0;
    out["NeedsCopyUp"] = volume.needs_copy_up;
    if (volume.needs_chown) out["NeedsChown"] = true;
    return out;
}

// How volume documents look to --format templates, with Podman's type names and headings.
const TemplateSchema& volume_list_schema() {
    static const TemplateSchema schema{"ls",
                                       "*entities.VolumeListReport",
                                       {{"Labels", "map[string]string"}, {"Options", "map[string]string"}},
                                       {"Name", "Driver", "Mountpoint", "CreatedAt", "Labels", "Scope", "Options",
                                        "MountCount", "NeedsCopyUp", "NeedsChown", "Anonymous"},
                                       {{"Name", "VOLUME NAME"}}};
    return schema;
}

const TemplateSchema& volume_inspect_schema() {
    static const TemplateSchema schema{
        "inspect", "interface {}", {{"Labels", "map[string]string"}, {"Options", "map[string]string"}}, {}, {}};
    return schema;
}

int run_volume_create(const CreateFlags& flags, const GlobalOptions& globals) {
    if (flags.name.size() > 1) throw Error("accepts at most 1 arg(s), received " + std::to_string(flags.name.size()));
    auto storage = open_storage(globals, false);
    volumes::VolumeRecord record;
    record.name = flags.name.empty() ? volumes::new_anonymous_volume_name() : flags.name.front();
    if (flags.driver != "local")
        throw Error("volume " + record.name + " uses volume plugin " + flags.driver +
                    " but it could not be retrieved: no volume plugin with name " + flags.driver +
                    " available: required plugin missing");
    record.labels = parse_key_values(flags.labels);
    record.options = volumes::parse_volume_options(flags.options);
    auto store = volume_store(storage);
    if (flags.ignore && store.find(record.name)) {
        std::printf("%s\n", record.name.c_str());
        return 0;
    }
    std::printf("%s\n", store.create(record).name.c_str());
    return 0;
}

// Whether containers use the volume, from one reading of the records.
std::function<bool(const std::string&)> usage_of(const StorageContext& storage) {
    auto records =
        std::make_shared<std::vector<storage::ContainerRecord>>(storage::ContainerStore(storage.graph_root).list());
    return [records](const std::string& name) {
        for (const auto& record : *records)
            if (std::find(record.volumes.begin(), record.volumes.end(), name) != record.volumes.end()) return true;
        return false;
    };
}

int run_volume_ls(const ListFlags& flags, const GlobalOptions& globals) {
    auto filter = volumes::parse_volume_filter(flags.filters, {"name", "label", "dangling", "driver"});
    auto storage = open_storage(globals, false);
    auto store = volume_store(storage);
    auto in_use = usage_of(storage);
    std::vector<volumes::VolumeRecord> shown;
    for (auto& volume : store.list())
        if (volumes::volume_matches(filter, volume, [&] { return in_use(volume.name); }))
            shown.push_back(std::move(volume));
    if (flags.quiet) {
        for (const auto& volume : shown) std::printf("%s\n", volume.name.c_str());
        return 0;
    }
    if (flags.format == "json") {
        ordered_json list = ordered_json::array();
        for (const auto& volume : shown) list.push_back(volume_json(store, volume));
        std::printf("%s\n", list.dump(2).c_str());
        return 0;
    }
    if (flags.format.empty()) {
        std::string table = flags.noheading ? "" : "DRIVER\tVOLUME NAME\n";
        for (const auto& volume : shown) table += volume.driver + "\t" + volume.name + "\n";
        std::fputs(gotemplate::align_columns(table).c_str(), stdout);
        return 0;
    }
    json rows = json::array();
    for (const auto& volume : shown) rows.push_back(json::parse(volume_json(store, volume).dump()));
    std::string text = format_list(rows, flags.format, volume_list_schema());
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

int run_volume_inspect(const NamesFlags& flags, const GlobalOptions& globals) {
    if (flags.all == !flags.names.empty()) throw Error("provide one or more volume names or use --all");
    auto storage = open_storage(globals, false);
    auto store = volume_store(storage);
    std::vector<volumes::VolumeRecord> found;
    std::string missing;
    if (flags.all) found = store.list();
    for (const auto& name : flags.names) {
        if (auto volume = store.find(name))
            found.push_back(*volume);
        else if (missing.empty())
            missing = name;
    }
    ordered_json documents = ordered_json::array();
    for (const auto& volume : found) documents.push_back(volume_json(store, volume));
    if (flags.format.empty() || flags.format == "json")
        std::printf("%s\n", documents.dump(5).c_str());
    else
        print_inspect(json::parse(documents.dump()), flags.format, volume_inspect_schema());
    if (!missing.empty()) throw Error("inspecting object: no such volume " + missing);
    return 0;
}

// Removes one volume: with force its containers go first (killed when running), else it must be unused.
void remove_volume(const StorageContext& storage, const std::string& name, bool force) {
    auto store = volume_store(storage);
    if (!store.find(name)) volumes::throw_no_such_volume(name);
    auto remove_files = [&storage](const std::string& path) { remove_storage_tree(storage, path); };
    if (force)
        for (const auto& id : volumes::containers_using(storage.graph_root, name))
            engine::remove_container(storage.graph_root, id, true, remove_files);
    auto containers_lock = storage::ContainerStore(storage.graph_root).lock_exclusive();
    auto users = volumes::containers_using(storage.graph_root, name);
    if (!users.empty()) volumes::throw_volume_in_use(name, users);
    store.remove(name);
}

int run_volume_rm(const NamesFlags& flags, const GlobalOptions& globals) {
    if (flags.all == !flags.names.empty()) throw Error("choose either one or more volumes or all");
    auto storage = open_storage(globals, false);
    std::vector<std::string> names = flags.names;
    if (flags.all)
        for (const auto& volume : volume_store(storage).list()) names.push_back(volume.name);
    int status = 0;
    for (const auto& name : names) {
        try {
            remove_volume(storage, name, flags.force);
            std::printf("%s\n", name.c_str());
            std::fflush(stdout);
        } catch (const Error& error) {
            std::fprintf(stderr, "Error: %s\n", error.what());
            status = std::max(status, error.exit_status());
        }
    }
    return status;
}

bool confirmed(const std::vector<std::string>& names) {
    std::printf(
        "WARNING! This will remove all volumes not used by at least one container. The following volumes "
        "will be removed:\n");
    for (const auto& name : names) std::printf("%s\n", name.c_str());
    std::printf("Are you sure you want to continue? [y/N] ");
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "y" || answer == "Y" || answer == "yes";
}

int run_volume_prune(const NamesFlags& flags, const GlobalOptions& globals) {
    auto filter = volumes::parse_volume_filter(flags.filters, {"label"});
    auto storage = open_storage(globals, false);
    auto store = volume_store(storage);
    auto unused = [&] {
        std::vector<std::string> names;
        auto in_use = usage_of(storage);
        for (const auto& volume : store.list())
            if (!in_use(volume.name) && volumes::volume_matches(filter, volume, [] { return false; }))
                names.push_back(volume.name);
        return names;
    };
    if (!flags.force && !confirmed(unused())) return 0;
    auto containers_lock = storage::ContainerStore(storage.graph_root).lock_exclusive();
    int status = 0;
    for (const auto& name : unused()) {
        try {
            store.remove(name);
            std::printf("%s\n", name.c_str());
        } catch (const Error& error) {
            std::fprintf(stderr, "Error: %s\n", error.what());
            status = exit_berth_error;
        }
    }
    return status;
}

// volume mount prints where a volume's data is (the local driver's volumes are always there); unmount has
// nothing to undo and prints the name, as Podman does.
int run_volume_mount(const NamesFlags& flags, const GlobalOptions& globals, bool mount) {
    if (flags.names.empty()) throw Error("requires at least 1 arg(s), only received 0");
    auto storage = open_storage(globals, false);
    auto store = volume_store(storage);
    for (const auto& name : flags.names) {
        if (!store.find(name)) throw Error("no volume with name \"" + name + "\" found: no such volume");
        std::printf("%s\n", mount ? store.paths_of(name).data.c_str() : name.c_str());
    }
    return 0;
}

void add_volume_mount(CommandTree& tree, CLI::App& volume, const GlobalOptions& globals) {
    auto flags = std::make_shared<NamesFlags>();
    CommandHelp help{"VOLUME [VOLUME...]",
                     "Print the host directory of volumes, where their data is.",
                     {"berth volume mount data"},
                     ValueKind::none};
    auto& mount = tree.add_command(volume, "mount", "Mount volume", std::move(help),
                                   [flags, &globals] { return run_volume_mount(*flags, globals, true); });
    mount.add_option("volume", flags->names, "Volumes to mount");
    auto unmount_flags = std::make_shared<NamesFlags>();
    CommandHelp unmount_help{"VOLUME [VOLUME...]",
                             "Unmount volumes: local volumes stay where they are, so there is nothing to undo.",
                             {"berth volume unmount data"},
                             ValueKind::none};
    auto& unmount =
        tree.add_command(volume, "unmount", "Unmount volume", std::move(unmount_help),
                         [unmount_flags, &globals] { return run_volume_mount(*unmount_flags, globals, false); });
    unmount.alias("umount");
    unmount.add_option("volume", unmount_flags->names, "Volumes to unmount");
}

void add_volume_create(CommandTree& tree, CLI::App& volume, const GlobalOptions& globals) {
    auto flags = std::make_shared<CreateFlags>();
    CommandHelp help{"[options] [NAME]",
                     "Create a volume: a directory of berth's storage that containers mount with\n"
                     "-v NAME:/path or --mount type=volume,src=NAME,dst=/path. Without a name it gets a random\n"
                     "one. The local driver's options: type=tmpfs (o= its mount options) or type=bind with\n"
                     "device=PATH mount that instead of the volume's directory.",
                     {"berth volume create data", "berth volume create --label app=web data",
                      "berth volume create -o type=tmpfs -o device=tmpfs -o o=size=64m scratch"},
                     ValueKind::none};
    auto& create = tree.add_command(volume, "create", "Create a new volume", std::move(help),
                                    [flags, &globals] { return run_volume_create(*flags, globals); });
    create.add_option("name", flags->name, "The volume's name");
    create.add_option("-d,--driver", flags->driver, "Specify volume driver name (local)")->capture_default_str();
    create.add_option("-l,--label", flags->labels, "Set metadata for a volume (KEY=VALUE)");
    create.add_option("-o,--opt", flags->options, "Set driver specific options (type=, device=, o=)");
    create.add_flag("--ignore", flags->ignore, "Do not fail if the volume already exists");
}

void add_volume_ls(CommandTree& tree, CLI::App& volume, const GlobalOptions& globals) {
    auto flags = std::make_shared<ListFlags>();
    CommandHelp help{"[options]",
                     "List volumes.",
                     {"berth volume ls", "berth volume ls --filter label=app=web -q",
                      "berth volume ls --format '{{.Name}} {{.Mountpoint}}'"},
                     ValueKind::none};
    auto& ls = tree.add_command(volume, "ls", "List volumes", std::move(help),
                                [flags, &globals] { return run_volume_ls(*flags, globals); });
    ls.alias("list");
    ls.add_option("-f,--filter", flags->filters, "Filter volume output (name=, label=, dangling=, driver=)");
    ls.add_option("--format", flags->format, "Format volume output using JSON or a Go template");
    ls.add_flag("-q,--quiet", flags->quiet, "Print volume output in quiet mode");
    ls.add_flag("-n,--noheading", flags->noheading, "Do not print headers");
}

void add_volume_inspect(CommandTree& tree, CLI::App& volume, const GlobalOptions& globals) {
    auto flags = std::make_shared<NamesFlags>();
    CommandHelp help{"[options] VOLUME [VOLUME...]",
                     "Display the details of volumes as JSON, as Podman does.",
                     {"berth volume inspect data", "berth volume inspect --format '{{.Mountpoint}}' data"},
                     ValueKind::none};
    auto& inspect =
        tree.add_command(volume, "inspect", "Display detailed information on one or more volumes", std::move(help),
                         [flags, &globals] { return run_volume_inspect(*flags, globals); });
    inspect.add_option("volume", flags->names, "Volumes to inspect");
    inspect.add_flag("-a,--all", flags->all, "Inspect all volumes");
    inspect.add_option("-f,--format", flags->format, "Format volume output using a Go template");
}

void add_volume_rm(CommandTree& tree, CLI::App& volume, const GlobalOptions& globals) {
    auto flags = std::make_shared<NamesFlags>();
    CommandHelp help{"[options] VOLUME [VOLUME...]",
                     "Remove volumes with their data. A volume that containers use is removed only with --force,\n"
                     "which removes those containers first.",
                     {"berth volume rm data", "berth volume rm --force --all"},
                     ValueKind::none};
    auto& rm = tree.add_command(volume, "rm", "Remove one or more volumes", std::move(help),
                                [flags, &globals] { return run_volume_rm(*flags, globals); });
    rm.alias("remove");
    rm.add_option("volume", flags->names, "Volumes to remove");
    rm.add_flag("-a,--all", flags->all, "Remove all volumes");
    rm.add_flag("-f,--force", flags->force, "Remove a volume by force, even if it is being used by a container");
    rm.add_option("-t,--time", flags->timeout, "Seconds to wait for running containers to stop (they are killed)");
}

void add_volume_prune(CommandTree& tree, CLI::App& volume, const GlobalOptions& globals) {
    auto flags = std::make_shared<NamesFlags>();
    CommandHelp help{"[options]",
                     "Remove the volumes no container uses, after asking (not with --force).",
                     {"berth volume prune --force", "berth volume prune --filter label=app=web"},
                     ValueKind::none};
    auto& prune = tree.add_command(volume, "prune", "Remove all unused volumes", std::move(help),
                                   [flags, &globals] { return run_volume_prune(*flags, globals); });
    prune.add_option("--filter", flags->filters, "Provide filter values (label=KEY[=VALUE])");
    prune.add_flag("-f,--force", flags->force, "Do not prompt for confirmation");
}

}  // namespace

void add_volume_commands(CommandTree& tree, const GlobalOptions& globals) {
    if (!tree.wants("volume")) return;
    CommandHelp group_help{"[command]",
                           "Manage volumes: create, list, inspect, remove and prune them.",
                           {"berth volume create data", "berth run -v data:/data busybox ls /data"},
                           ValueKind::none};
    auto& volume = tree.add_command(tree.root(), "volume", "Manage volumes", std::move(group_help), nullptr);
    add_volume_create(tree, volume, globals);
    add_volume_ls(tree, volume, globals);
    add_volume_inspect(tree, volume, globals);
    add_volume_rm(tree, volume, globals);
    add_volume_prune(tree, volume, globals);
    add_exists_command(tree, volume, globals,
                       {"volume", "berth volume exists data", ValueKind::none,
                        [](const StorageContext& storage, const std::string& name) {
                            return volume_store(storage).find(name).has_value();
                        }});
    add_volume_mount(tree, volume, globals);
}

}  // namespace berth::cli
