// berth run, create, start, rm and the `berth container` group (run, create, start, rm, inspect).
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/cidfile.hpp"
#include "cli/commands.hpp"
#include "cli/container_setup.hpp"
#include "cli/container_targets.hpp"
#include "cli/exists_command.hpp"
#include "cli/output/format.hpp"
#include "cli/pod_members.hpp"
#include "cli/pull_command.hpp"
#include "cli/registry_options.hpp"
#include "cli/run_flags.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "engine/container_control.hpp"
#include "engine/container_create.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_start.hpp"
#include "engine/container_volumes.hpp"
#include "engine/image_commands.hpp"
#include "engine/monitor.hpp"
#include "engine/rootfs_choice.hpp"
#include "engine/runtime_spec.hpp"
#include "storage/vfs_rootfs.hpp"
#include "systemd/notify.hpp"
#include "volumes/chown_tree.hpp"
#include "volumes/copy_up.hpp"
#include "volumes/volume_users.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;

struct StartFlags {
    TargetOptions targets;
    bool attach = false;
    bool interactive = false;
};

struct RemoveFlags {
    TargetOptions targets;
    bool force = false;
    bool volumes = false;
    bool depend = false;
    int timeout = 10;
};

struct InspectFlags {
    TargetOptions targets;
    std::string format;
};

// --restart no|on-failure[:N]|always|unless-stopped.
std::pair<std::string, int> parse_restart_policy(const std::string& text) {
    std::string policy = text.substr(0, text.find(':'));
    if (policy.empty()) policy = "no";
    int maximum = 0;
    if (text.find(':') != std::string::npos) {
        auto count = parse_unsigned(text.substr(text.find(':') + 1));
        if (policy != "on-failure" || !count)
            throw Error("invalid restart policy \"" + text + "\": only on-failure takes a count of retries");
        maximum = static_cast<int>(*count);
    }
    if (policy != "no" && policy != "on-failure" && policy != "always" && policy != "unless-stopped")
        throw Error("invalid restart policy \"" + text + "\": expected no, on-failure[:N], always or unless-stopped");
    return {policy, maximum};
}

// --log-opt max-size=SIZE (the only option the k8s-file log has here); returns the size, 0 for none.
uint64_t parse_log_options(const std::vector<std::string>& options) {
    uint64_t max_size = 0;
    for (const auto& option : options) {
        auto equals = option.find('=');
        std::string key = option.substr(0, equals);
        if (key == "max-size" && equals != std::string::npos) {
            max_size = static_cast<uint64_t>(engine::parse_byte_size("--log-opt max-size", option.substr(equals + 1)));
            continue;
        }
        if (key == "tag" || key == "path") continue;  // accepted, as Podman's k8s-file driver has them
        throw Error("invalid log option \"" + option + "\": expected max-size=SIZE");
    }
    return max_size;
}

// --replace: the container with this name goes first (stopped when it runs).
void replace_existing(const StorageContext& storage, const std::string& name) {
    if (!storage::ContainerStore(storage.graph_root).find(name)) return;
    engine::remove_container(storage.graph_root, name, true,
                             [&storage](const std::string& path) { remove_storage_tree(storage, path); });
}

// The image a container is created from: pulled first when the policy says so.
storage::ImageRecord image_for_container(const StorageContext& storage, const RunFlags& flags) {
    const std::string& reference = flags.arguments.front();
    auto policy = parse_pull_policy(flags.pull);
    if (policy != PullPolicy::always) {
        try {
            return engine::resolve_image(storage.graph_root, reference);
        } catch (const Error&) {
            if (policy == PullPolicy::never) throw;
        }
    }
    ContainerPull pull{reference, flags.quiet, parse_optional_bool_flag("tls-verify", flags.tls_verify),
                       flags.authfile};
    std::string id = pull_for_container(storage, pull);
    return engine::resolve_image(storage.graph_root, id);
}

// The name the container records for its image: the one the user typed when the image has it.
std::string image_name_for(const storage::ImageRecord& image, const std::string& typed) {
    std::string normalized = engine::normalized_image_name(typed);
    for (const auto& name : image.names)
        if (name == normalized) return name;
    return image.names.empty() ? image.id.substr(7) : image.names.front();
}

// This process's argv as the kernel keeps it: what `generate systemd --new` runs again.
std::vector<std::string> own_command_line() {
    std::string text = read_file("/proc/self/cmdline");
    std::vector<std::string> words;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        words.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return words;
}

}  // namespace

engine::CreateRequest container_create_request(const StorageContext& storage, const GlobalOptions& globals,
                                               const storage::ImageRecord& image, engine::RunOptions options) {
    engine::CreateRequest request;
    request.graph_root = storage.graph_root;
    request.rootless = storage.rootless;
    request.image = image;
    request.image_name = image.names.empty() ? image.id.substr(7) : image.names.front();
    request.options = std::move(options);
    request.driver = engine::container_rootfs_driver(storage.graph_root, storage.rootless, globals.driver_override());
    request.assemble_vfs_rootfs = [&storage](const std::vector<std::string>& layers, const std::string& target) {
        run_with_storage_ids(storage, [&] {
            storage::assemble_vfs_rootfs(layers, target);
            return std::string();
        });
    };
    request.copy_up_volume = [&storage](const std::vector<std::string>& layers, const std::string& path,
                                        const std::string& target) {
        return run_with_storage_ids(storage, [&] {
                   return std::string(volumes::copy_up_image_path(layers, path, target) ? "copied" : "");
               }) == "copied";
    };
    request.remove_volume_files = [&storage](const std::string& path) { remove_storage_tree(storage, path); };
    request.chown_volume = [&storage](const std::string& path, uint32_t uid, uint32_t gid, bool recursive) {
        run_with_storage_ids(storage, [&] {
            if (recursive)
                volumes::chown_tree(path, uid, gid);
            else if (::lchown(path.c_str(), uid, gid) != 0)
                throw_last_errno("chown volume " + path);
            return std::string();
        });
    };
    return request;
}

namespace {

storage::ContainerRecord create_from_flags(const RunFlags& flags, const GlobalOptions& globals,
                                           const StorageContext& storage, const std::string& command) {
    if (flags.arguments.empty()) throw Error("requires at least 1 arg(s), only received 0");
    // The parser stops at the first word that is not a flag it knows: a flag there is one berth lacks, not an image.
    if (const std::string& first = flags.arguments.front(); first.size() > 1 && first.front() == '-')
        throw Error("unknown flag: " + first.substr(0, first.find('=')) + " (see 'berth " + command + " --help')");
    auto options = to_run_options(flags);
    for (const auto& value : flags.volumes_from)
        for (auto& mount : engine::mounts_from_container(storage.graph_root, value)) {
            bool covered = std::any_of(options.mounts.begin(), options.mounts.end(), [&](const engine::MountSpec& own) {
                return own.destination == mount.destination;
            });
            if (!covered) options.mounts.push_back(std::move(mount));
        }
    auto restart = parse_restart_policy(flags.restart);
    uint64_t log_max_size = parse_log_options(flags.log_opt);
    if (restart.first != "no" && flags.rm)
        throw Error("the --rm option conflicts with --restart, when the restartPolicy is not \"\" and \"no\"");
    if (!flags.cidfile.empty()) check_cidfile_free(flags.cidfile);
    auto image = image_for_container(storage, flags);
    if (flags.replace && !options.name.empty()) replace_existing(storage, options.name);

    std::string pod_id = join_pod_for_create(storage, flags.pod, options);

    auto request = container_create_request(storage, globals, image, std::move(options));
    request.image_name = image_name_for(image, flags.arguments.front());
    auto record = engine::create_container(request);
    if (!flags.cidfile.empty()) write_cidfile(flags.cidfile, record.id);
    return storage::ContainerStore(storage.graph_root).update(record.id, [&](storage::ContainerRecord& created) {
        created.restart_policy = restart.first;
        created.restart_max = restart.second;
        created.log_max_size = log_max_size;
        created.create_command = own_command_line();
        created.create_arguments = static_cast<int>(flags.arguments.size());
        created.pod = pod_id;
    });
}

engine::StartRequest start_request(const StorageContext& storage, const std::string& id) {
    engine::StartRequest request;
    request.graph_root = storage.graph_root;
    request.run_root = storage.run_root;
    request.id = id;
    request.remove_files = [&storage](const std::string& path) { remove_storage_tree(storage, path); };
    return request;
}

// --sdnotify: "" and ignore leave systemd alone; conmon needs a detached container, whose monitor is the main pid.
void check_sdnotify(const RunFlags& flags, bool starts_detached) {
    const std::string& mode = flags.sdnotify;
    if (mode.empty() || mode == "ignore") return;
    if (mode == "container") throw Error("--sdnotify=container is not supported yet");
    if (mode != "conmon")
        throw Error("invalid config provided: invalid argument: invalid sdnotify value \"" + mode +
                    "\": must be container, conmon or ignore");
    if (!starts_detached) throw Error("--sdnotify=conmon is supported with run -d only");
}

// Tells systemd (when it asked: $NOTIFY_SOCKET) that the service runs, with the container's monitor as main pid.
void notify_ready(const StorageContext& storage, const std::string& id) {
    auto record = storage::ContainerStore(storage.graph_root).find(id);
    std::string state = "READY=1";
    if (record && record->monitor_pid > 0) state = "MAINPID=" + std::to_string(record->monitor_pid) + "\n" + state;
    systemd::notify_service_manager(state);
}

int run_run(const RunFlags& flags, const GlobalOptions& globals) {
    check_sdnotify(flags, flags.detach);
    auto storage = open_storage(globals, false);
    auto record = create_from_flags(flags, globals, storage, "run");
    if (!flags.detach) {
        auto request = start_request(storage, record.id);
        request.forward_signals = flags.sig_proxy;
        return engine::run_attached(request);
    }
    try {
        engine::start_detached(start_request(storage, record.id));
    } catch (const Error&) {
        engine::remove_if_asked(start_request(storage, record.id));
        throw;
    }
    if (flags.sdnotify == "conmon") notify_ready(storage, record.id);
    std::printf("%s\n", record.id.c_str());
    return 0;
}

int run_create(const RunFlags& flags, const GlobalOptions& globals) {
    check_sdnotify(flags, false);
    auto storage = open_storage(globals, false);
    auto record = create_from_flags(flags, globals, storage, "create");
    std::printf("%s\n", record.id.c_str());
    return 0;
}

int run_start(const StartFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    TargetRules rules{"start", 125, "start requires at least one argument", {}};
    auto targets = resolve_targets(storage.graph_root, flags.targets, rules);
    if (flags.attach) {
        if (targets.size() != 1) throw Error("you cannot start and attach multiple containers at once");
        return engine::run_attached(start_request(storage, targets.front().record.id));
    }
    return for_each_target(targets, [&](const Target& target) {
        if (!engine::container_running(target.record)) engine::start_detached(start_request(storage, target.record.id));
    });
}

int run_rm(const RemoveFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    TargetRules rules{"rm", 1, "you must provide at least one name or id", {}};
    auto targets = resolve_targets(storage.graph_root, flags.targets, rules);
    auto remove_files = [&storage](const std::string& path) { remove_storage_tree(storage, path); };
    return for_each_target(targets, [&](const Target& target) {
        const auto& record = target.record;
        try {
            if (!remove_if_pod_infra(storage, record, flags.depend || flags.targets.all, flags.timeout))
                engine::remove_container(storage.graph_root, record.id, flags.force, remove_files);
        } catch (const Error&) {
            // Removed meanwhile (by another berth, or with its pod): --ignore and --all leave it at that.
            if ((flags.targets.ignore || flags.targets.all) &&
                !storage::ContainerStore(storage.graph_root).find(record.id))
                return;
            throw;
        }
        if (flags.volumes) volumes::remove_anonymous_volumes(storage.graph_root, record.volumes, remove_files);
    });
}

int run_inspect(const InspectFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    std::vector<std::string> names = flags.targets.names;
    if (flags.targets.latest) {
        names.clear();
        TargetRules rules{"inspect", 125, "no names or ids specified", {}};
        for (const auto& target : resolve_targets(storage.graph_root, flags.targets, rules))
            names.push_back(target.record.id);
    }
    if (names.empty()) throw Error("no names or ids specified");
    json documents = json::array();
    std::vector<std::string> missing;
    storage::ContainerStore store(storage.graph_root);
    for (const auto& name : names) {
        if (auto found = store.find(name))
            documents.push_back(engine::inspect_container(storage.graph_root, engine::reconciled(*found)));
        else
            missing.push_back(name);
    }
    print_inspect(documents, flags.format, container_inspect_schema());
    std::fflush(stdout);
    for (const auto& name : missing)
        std::fprintf(stderr, "Error: inspecting object: no such container %s\n", name.c_str());
    return missing.empty() ? 0 : exit_berth_error;
}

const char* run_description =
    "Run a command in a new container from an image, pulling the image first when it is not in local\n"
    "storage (--pull). The container gets its own user, mount, PID, UTS, IPC, network and cgroup\n"
    "namespaces, Podman's default capabilities and seccomp profile, and an overlay of the image's layers\n"
    "with a writable layer of its own as its root file system. berth runs it with its own OCI executor;\n"
    "no runc, crun or conmon is needed.\n"
    "\n"
    "berth run waits for the command, with the container's output on its own, forwards signals to it,\n"
    "and exits with its status: 125 when berth fails, 126 when the command cannot be invoked, 127 when\n"
    "it is not found.";

void add_run(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "run")) return;
    auto flags = std::make_shared<RunFlags>();
    CommandHelp help{"[options] IMAGE [COMMAND [ARG...]]",
                     run_description,
                     {"berth run --rm busybox echo hello", "berth run --rm -v /srv/data:/data:ro busybox ls /data",
                      "berth run --rm --user nobody --read-only --tmpfs /tmp busybox id"},
                     ValueKind::images};
    auto command = std::make_shared<CLI::App*>(nullptr);
    auto& run = tree.add_command(parent, "run", "Run a command in a new container", std::move(help),
                                 [flags, command, &globals] {
                                     flags->arguments = (*command)->remaining();
                                     return run_run(*flags, globals);
                                 });
    *command = &run;
    add_run_flags(tree, run, *flags);
    run.add_flag("-d,--detach", flags->detach, "Run the container in the background and print its ID");
}

void add_create(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "create")) return;
    auto flags = std::make_shared<RunFlags>();
    CommandHelp help{"[options] IMAGE [COMMAND [ARG...]]",
                     "Create a container from an image, as berth run does, without starting it; print its id.\n"
                     "Start it with berth start.",
                     {"berth create --name web busybox httpd -f", "berth start --attach web"},
                     ValueKind::images};
    auto command = std::make_shared<CLI::App*>(nullptr);
    auto& create = tree.add_command(parent, "create", "Create but do not start a container", std::move(help),
                                    [flags, command, &globals] {
                                        flags->arguments = (*command)->remaining();
                                        return run_create(*flags, globals);
                                    });
    *command = &create;
    add_run_flags(tree, create, *flags);
}

void add_start(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "start")) return;
    auto flags = std::make_shared<StartFlags>();
    CommandHelp help{"[options] CONTAINER",
                     "Start containers that were created or have exited, in the background under a monitor\n"
                     "of their own (see berth-logs(1)). Their writable layers are kept between starts. With\n"
                     "--attach berth runs one container in the foreground, with its output on berth's own,\n"
                     "and exits with its status.",
                     {"berth start --attach web"},
                     ValueKind::containers};
    auto& start = tree.add_command(parent, "start", "Start one or more containers", std::move(help),
                                   [flags, &globals] { return run_start(*flags, globals); });
    add_target_flags(start, flags->targets, {});
    start.add_flag("--all", flags->targets.all, "Start all containers regardless of their state or configuration");
    start.add_flag("-l,--latest", flags->targets.latest, "Act on the latest container berth is aware of");
    start.add_flag("-a,--attach", flags->attach, "Attach to the container's output and wait for it");
    start.add_flag("-i,--interactive", flags->interactive, "Keep STDIN open");
}

void add_rm(CommandTree& tree, CLI::App& parent, const std::string& name, const GlobalOptions& globals) {
    if (tree.skips(parent, name)) return;
    auto flags = std::make_shared<RemoveFlags>();
    CommandHelp help{"[options] CONTAINER [CONTAINER...]",
                     "Remove containers with their writable layers. A running container is removed only with\n"
                     "--force, which kills it first.",
                     {"berth rm web", "berth rm --force --all"},
                     ValueKind::containers};
    auto& rm = tree.add_command(parent, name, "Remove one or more containers", std::move(help),
                                [flags, &globals] { return run_rm(*flags, globals); });
    add_target_flags(rm, flags->targets, {true, true, true, true, "Remove all containers"});
    rm.add_flag("-f,--force", flags->force, "Force removal of a running or unusable container");
    rm.add_flag("-v,--volumes", flags->volumes, "Remove the anonymous volumes of the container");
    rm.add_flag("--depend", flags->depend, "Remove the container and all containers that depend on it");
    rm.add_option("-t,--time", flags->timeout, "Seconds to wait for stop before killing the container");
}

void add_container_inspect(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    auto flags = std::make_shared<InspectFlags>();
    CommandHelp help{"[options] CONTAINER [CONTAINER...]",
                     "Display the configuration and state of containers as JSON, as Podman does; OCISpec is\n"
                     "the container's OCI runtime config.json.",
                     {"berth container inspect web", "berth container inspect --format '{{.State.Status}}' web"},
                     ValueKind::containers};
    auto& inspect = tree.add_command(parent, "inspect", "Display the configuration of a container", std::move(help),
                                     [flags, &globals] { return run_inspect(*flags, globals); });
    add_target_flags(inspect, flags->targets, {false, true, false, false, {}});
    inspect.add_option("-f,--format", flags->format, "Change the output format to a Go template");
}

}  // namespace

void add_container_commands(CommandTree& tree, const GlobalOptions& globals) {
    add_run(tree, tree.root(), globals);
    add_create(tree, tree.root(), globals);
    add_start(tree, tree.root(), globals);
    add_rm(tree, tree.root(), "rm", globals);
    add_lifecycle_commands(tree, globals);
    add_exec_commands(tree, nullptr, globals);
    add_process_commands(tree, nullptr, globals);
    add_port_commands(tree, nullptr, globals);
    add_commit_commands(tree, nullptr, globals);

    if (!tree.wants("container")) return;
    CommandHelp group_help{"[command]",
                           "Manage containers: create, run, start, inspect and remove them.",
                           {"berth container inspect web"},
                           ValueKind::none};
    auto& container = tree.add_command(tree.root(), "container", "Manage containers", std::move(group_help), nullptr);
    add_run(tree, container, globals);
    add_create(tree, container, globals);
    add_start(tree, container, globals);
    add_rm(tree, container, "rm", globals);
    add_container_inspect(tree, container, globals);
    add_exists_command(tree, container, globals,
                       {"container", "berth container exists web", ValueKind::containers,
                        [](const StorageContext& storage, const std::string& name) {
                            return storage::ContainerStore(storage.graph_root).find(name).has_value();
                        }})
        // Accepted: berth sees no other tool's containers, so the answer is the same.
        .add_flag_callback(
            "--external", [] {}, "Check external containers as well (berth has none: the same)");
    add_container_lifecycle_commands(tree, container, globals);
    add_exec_commands(tree, &container, globals);
    add_process_commands(tree, &container, globals);
    add_port_commands(tree, &container, globals);
    add_commit_commands(tree, &container, globals);
}

}  // namespace berth::cli
