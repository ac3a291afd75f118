// berth pod create, start, stop, restart, kill, pause, unpause, rm, ps, inspect, exists, prune, top and logs: the
// pods of pods/ with their infra containers (engine/pod_containers.hpp), with Podman's flags, output, messages and
// exit statuses.
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output/format.hpp"
#include "cli/output/table.hpp"
#include "cli/pod_members.hpp"
#include "cli/registry_options.hpp"
#include "cli/run_flags.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "engine/container_control.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_log.hpp"
#include "engine/container_network.hpp"
#include "engine/container_processes.hpp"
#include "engine/container_start.hpp"
#include "engine/monitor.hpp"
#include "engine/runtime_spec.hpp"
#include "gotemplate/tabwriter.hpp"
#include "pods/pod_filter.hpp"
#include "pods/pod_status.hpp"
#include "pods/pod_store.hpp"
#include "storage/container_store.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using storage::ContainerRecord;

// Podman's exit status for a pod that is not there, in `pod rm` and `pod exists`.
constexpr int exit_no_such_pod = 1;

struct CreateFlags {
    std::vector<std::string> name_argument;
    std::string name, share = "ipc,net,uts", infra = "true", infra_command, infra_name, hostname, network, userns,
                      exit_policy, pod_id_file;
    bool no_infra = false, replace = false;
    std::vector<std::string> labels, publish, add_hosts, dns, dns_search, dns_option;
};

struct PodFlags {
    std::vector<std::string> names, filters;
    std::string format, signal = "SIGKILL";
    bool all = false, force = false, ignore = false, quiet = false, no_trunc = false, noheading = false, latest = false;
    int timeout = 10;
    bool timeout_given = false;
};

// A pod with its containers (reconciled), its infra first.
struct PodView {
    pods::PodRecord pod;
    std::vector<ContainerRecord> containers;
    std::string status;
};

std::vector<std::string> state_names(const std::vector<ContainerRecord>& containers) {
    std::vector<std::string> names;
    for (const auto& container : containers) names.push_back(storage::state_name(container.state));
    return names;
}

std::vector<PodView> pod_views(const StorageContext& storage) {
    auto pods = pods::PodStore(storage.graph_root).list();
    auto containers = storage::ContainerStore(storage.graph_root).list();
    std::vector<PodView> views;
    for (auto& pod : pods) {
        PodView view{std::move(pod), {}, {}};
        for (const auto& container : containers)
            if (container.pod == view.pod.id) {
                auto real = engine::reconciled(container);
                if (real.id == view.pod.infra_id)
                    view.containers.insert(view.containers.begin(), real);
                else
                    view.containers.push_back(real);
            }
        view.status = pods::pod_status(state_names(view.containers));
        views.push_back(std::move(view));
    }
    return views;
}

PodView view_of(const StorageContext& storage, const std::string& name, int missing_status = 125) {
    auto pod = pods::PodStore(storage.graph_root).get(name, missing_status);
    for (auto& view : pod_views(storage))
        if (view.pod.id == pod.id) return view;
    pods::throw_no_such_pod(name, missing_status);
}

// The pods a command acts on: the names given, or all of them with --all (--latest: the newest).
std::vector<std::string> target_names(const StorageContext& storage, const PodFlags& flags, bool takes_all = true) {
    if ((flags.all || flags.latest) && !flags.names.empty())
        throw Error("when using the --all or --latest flags, you cannot specify pod names or IDs");
    std::vector<std::string> names = flags.names;
    if (takes_all && flags.all)
        for (const auto& pod : pods::PodStore(storage.graph_root).list()) names.push_back(pod.id);
    if (flags.latest) {
        auto all = pods::PodStore(storage.graph_root).list();
        if (all.empty()) throw Error("no pods to act on: no such pod");
        names.push_back(all.back().id);
    }
    if (names.empty() && !flags.all) throw Error("you must provide at least one name or id");
    return names;
}

// Runs `action` on each pod, printing its id when it succeeds; errors go to stderr and the last one's status is the
// command's (a missing pod with --ignore is no error).
int for_each_pod(const StorageContext& storage, const std::vector<std::string>& names, bool ignore, int missing_status,
                 const std::function<void(const PodView&)>& action) {
    int status = 0;
    for (const auto& name : names) {
        try {
            auto view = view_of(storage, name, missing_status);
            action(view);
            std::printf("%s\n", view.pod.id.c_str());
            std::fflush(stdout);
        } catch (const Error& error) {
            if (ignore && !pods::PodStore(storage.graph_root).find(name)) continue;
            std::fflush(stdout);
            std::fprintf(stderr, "Error: %s\n", error.what());
            status = error.exit_status();
        }
    }
    return status;
}

engine::StartRequest start_request_of(const StorageContext& storage, const std::string& id) {
    engine::StartRequest request;
    request.graph_root = storage.graph_root;
    request.run_root = storage.run_root;
    request.id = id;
    request.remove_files = [storage](const std::string& path) { remove_storage_tree(storage, path); };
    return request;
}

void start_pod(const StorageContext& storage, const PodView& view) {
    for (const auto& container : view.containers)  // the infra first
        if (!engine::container_running(container)) {
            try {
                engine::start_detached(start_request_of(storage, container.id));
            } catch (const Error& error) {
                throw Error("starting container " + container.id + ": " + error.what(), error.exit_status());
            }
        }
}

// Stops the members first, then the infra.
void stop_pod(const StorageContext& storage, const PodView& view, int timeout) {
    for (auto container = view.containers.rbegin(); container != view.containers.rend(); ++container)
        if (engine::container_running(*container))
            engine::stop_container(storage.graph_root, *container, std::chrono::seconds(timeout));
}

void remove_pod(const StorageContext& storage, const PodView& view, bool force, int timeout) {
    bool running = std::any_of(view.containers.begin(), view.containers.end(),
                               [](const ContainerRecord& record) { return engine::container_running(record); });
    if (running && !force)
        throw Error("pod " + view.pod.id +
                    " has containers that are not ready to be removed: cannot remove pod with running "
                    "containers (use --force)");
    if (running && timeout == 0) {
        // -t 0: every container is killed at once, then each is reaped and removed.
        for (const auto& container : view.containers)
            if (engine::container_running(container)) {
                try {
                    engine::kill_container(storage.graph_root, container, SIGKILL);
                } catch (const Error&) {  // it ended meanwhile
                }
            }
    } else if (running) {
        stop_pod(storage, view, timeout);
    }
    std::vector<std::string> trees;  // removed together: rootless, one entry into the user namespace
    auto remove_files = [&trees](const std::string& path) { trees.push_back(path); };
    for (auto container = view.containers.rbegin(); container != view.containers.rend(); ++container)
        engine::remove_container(storage.graph_root, container->id, true, remove_files);
    remove_storage_trees(storage, trees);
    remove_pod_record(storage, view.pod.id);
}

std::string short_id(const std::string& id, bool no_trunc) { return no_trunc ? id : id.substr(0, 12); }

// pod ps's documents, in Podman's field names (ListPodsReport).
ordered_json pod_list_json(const PodView& view) {
    ordered_json containers = ordered_json::array();
    for (const auto& container : view.containers)
        containers.push_back(
            {{"Id", container.id}, {"Names", container.name}, {"Status", storage::state_name(container.state)}});
    ordered_json networks = ordered_json::array();
    if (!view.containers.empty() && view.containers.front().id == view.pod.infra_id &&
        !view.containers.front().network.empty())
        networks.push_back(view.containers.front().network.substr(0, view.containers.front().network.find(':')));
    return {{"Cgroup", ""},
            {"Containers", containers},
            {"Created", engine::format_time_ns(view.pod.created_ns)},
            {"Id", view.pod.id},
            {"InfraId", view.pod.infra_id},
            {"Name", view.pod.name},
            {"Namespace", ""},
            {"Networks", networks},
            {"Status", view.status},
            {"Labels", view.pod.labels}};
}

// What --format templates see in pod ps: psReporter's fields and methods.
json pod_template_row(const PodView& view, bool no_trunc) {
    std::vector<std::string> names, ids, statuses;
    for (const auto& container : view.containers) {
        names.push_back(container.name);
        ids.push_back(short_id(container.id, no_trunc));
        statuses.push_back(storage::state_name(container.state));
    }
    auto joined = [](const std::vector<std::string>& words) {
        std::string text;
        for (const auto& word : words) text += (text.empty() ? "" : ",") + word;
        return text;
    };
    int64_t age = (engine::unix_now_ns() - view.pod.created_ns) / 1000000000;
    json row = json::parse(pod_list_json(view).dump());
    row["ID"] = short_id(view.pod.id, no_trunc);
    row["Id"] = view.pod.id;
    row["InfraID"] = short_id(view.pod.infra_id, no_trunc);
    row["Created"] = human_age(age);
    row["CreatedAt"] = go_time_text(view.pod.created_ns);
    row["NumberOfContainers"] = std::to_string(view.containers.size());
    row["ContainerNames"] = joined(names);
    row["ContainerIds"] = joined(ids);
    row["ContainerStatuses"] = joined(statuses);
    row["Networks"] = row["Networks"].empty() ? "" : row["Networks"][0].get<std::string>();
    return row;
}

const TemplateSchema& pod_list_schema() {
    static const TemplateSchema schema{"ps",
                                       "common.ListPodReporter",
                                       {{"Labels", "map[string]string"}},
                                       {"ID", "Name", "Status", "Created", "InfraID", "NumberOfContainers"},
                                       {{"ID", "POD ID"},
                                        {"InfraID", "INFRA ID"},
                                        {"NumberOfContainers", "# OF CONTAINERS"},
                                        {"ContainerNames", "NAMES"},
                                        {"ContainerIds", "IDS"},
                                        {"ContainerStatuses", "STATUS"}}};
    return schema;
}

const TemplateSchema& pod_inspect_schema() {
    static const TemplateSchema schema{"inspect", "define.InspectPodData", {{"Labels", "map[string]string"}}, {},
                                       {},        {{"ID", "Id"}}};
    return schema;
}

ordered_json port_bindings(const ContainerRecord* infra) {
    ordered_json bindings = ordered_json::object();
    if (!infra) return bindings;
    for (const auto& port : infra->ports)
        for (uint16_t offset = 0; offset < port.range; ++offset)
            bindings[std::to_string(port.container_port + offset) + "/" + port.protocol].push_back(
                {{"HostIp", port.host_ip}, {"HostPort", std::to_string(port.host_port + offset)}});
    return bindings;
}

ordered_json pod_inspect_json(const PodView& view) {
    const ContainerRecord* infra = nullptr;
    for (const auto& container : view.containers)
        if (container.id == view.pod.infra_id) infra = &container;
    ordered_json containers = ordered_json::array();
    for (const auto& container : view.containers)
        containers.push_back(
            {{"Id", container.id}, {"Name", container.name}, {"State", storage::state_name(container.state)}});
    ordered_json out = {{"Id", view.pod.id},
                        {"Name", view.pod.name},
                        {"Created", engine::format_time_ns(view.pod.created_ns)},
                        {"CreateCommand", view.pod.create_command},
                        {"ExitPolicy", view.pod.exit_policy},
                        {"State", view.status},
                        {"Hostname", view.pod.hostname},
                        {"Labels", view.pod.labels},
                        {"CreateCgroup", false},
                        {"CreateInfra", !view.pod.infra_id.empty()}};
    if (infra) {
        out["InfraContainerID"] = infra->id;
        ordered_json hosts = nullptr;
        for (const auto& [name, address] : view.pod.add_hosts) {
            if (hosts.is_null()) hosts = ordered_json::array();
            hosts.push_back(name + ":" + address);
        }
        std::string network = infra->network.substr(0, infra->network.find(':'));
        out["InfraConfig"] = {{"PortBindings", port_bindings(infra)},
                              {"HostNetwork", network == "host"},
                              {"StaticIP", ""},
                              {"StaticMAC", ""},
                              {"NoManageResolvConf", false},
                              {"DNSServer", nullptr},
                              {"DNSSearch", nullptr},
                              {"DNSOption", nullptr},
                              {"NoManageHosts", false},
                              {"HostAdd", hosts},
                              {"Networks", network.empty() ? ordered_json(nullptr) : ordered_json::array({network})},
                              {"NetworkOptions", nullptr},
                              {"pid_ns", view.pod.shares("pid") ? "" : "private"},
                              {"userns", "host"},
                              {"uts_ns", view.pod.shares("uts") ? "" : "private"}};
    }
    out["SharedNamespaces"] = view.pod.shared;
    out["NumContainers"] = view.containers.size();
    out["Containers"] = containers;
    return out;
}

// ---- create ----

std::vector<std::string> own_command_line() {
    auto text = read_file_if_exists("/proc/self/cmdline").value_or("");
    std::vector<std::string> words;
    for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\0', start);
        if (end == std::string::npos) end = text.size();
        words.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return words;
}

int run_pod_create(const CreateFlags& flags, const GlobalOptions& globals) {
    if (flags.name_argument.size() > 1)
        throw Error("accepts at most 1 arg(s), received " + std::to_string(flags.name_argument.size()));
    if (!flags.name_argument.empty() && !flags.name.empty())
        throw Error("cannot specify --name and give a name as an argument");
    if (!flags.userns.empty() && flags.userns != "host" && flags.userns != "private")
        throw Error("--userns " + flags.userns + " is not supported for pods yet");
    NewPod pod;
    pod.record.name = flags.name_argument.empty() ? flags.name : flags.name_argument.front();
    pod.record.labels = parse_key_values(flags.labels);
    pod.record.shared = pods::parse_share(flags.share);
    pod.record.hostname = flags.hostname;
    pod.record.network = flags.network;
    pod.record.publish = flags.publish;
    pod.record.create_command = own_command_line();
    for (const auto& host : flags.add_hosts) pod.record.add_hosts.push_back(parse_add_host(host));
    auto infra = parse_optional_bool_flag("infra", flags.infra);
    pod.infra = !flags.no_infra && infra.value_or(true);
    pod.infra_name = flags.infra_name;
    pod.record.exit_policy = pods::parse_exit_policy(flags.exit_policy);
    if (!flags.infra_command.empty()) {
        auto parsed = json::parse(flags.infra_command, nullptr, false);
        if (parsed.is_array())
            pod.record.infra_command = parsed.get<std::vector<std::string>>();
        else
            pod.record.infra_command = {flags.infra_command};
    }
    if (!pod.infra && !pod.record.shared.empty()) pod.record.shared.clear();
    if (!pod.infra && (!flags.network.empty() || !flags.hostname.empty() || !flags.add_hosts.empty()))
        throw Error("cannot set network, hostname or hosts of a pod without an infra container");
    pod.network.network = flags.network;
    for (const auto& value : flags.publish)
        for (auto& port : engine::parse_publish_flag(value)) pod.network.ports.push_back(port);
    pod.network.dns = flags.dns;
    pod.network.dns_search = flags.dns_search;
    pod.network.dns_option = flags.dns_option;
    auto storage = open_storage(globals, false);
    if (flags.replace && !pod.record.name.empty())
        if (auto existing = pods::PodStore(storage.graph_root).find(pod.record.name))
            remove_pod(storage, view_of(storage, existing->id), true, 10);
    std::string id = create_pod(storage, std::move(pod)).id;
    if (!flags.pod_id_file.empty()) write_file_atomic(flags.pod_id_file, id, 0644);
    std::printf("%s\n", id.c_str());
    return 0;
}

// ---- start, stop, restart, kill, pause, unpause, rm ----

int run_pod_start(const PodFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    return for_each_pod(storage, target_names(storage, flags), false, 125,
                        [&](const PodView& view) { start_pod(storage, view); });
}

int run_pod_stop(const PodFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    return for_each_pod(storage, target_names(storage, flags), flags.ignore, 125,
                        [&](const PodView& view) { stop_pod(storage, view, flags.timeout); });
}

int run_pod_restart(const PodFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    return for_each_pod(storage, target_names(storage, flags), false, 125, [&](const PodView& view) {
        stop_pod(storage, view, flags.timeout);
        start_pod(storage, view_of(storage, view.pod.id));
    });
}

int run_pod_kill(const PodFlags& flags, const GlobalOptions& globals) {
    int signal = engine::parse_signal(flags.signal);
    auto storage = open_storage(globals, false);
    return for_each_pod(storage, target_names(storage, flags), false, 125, [&](const PodView& view) {
        bool any = false;
        for (auto container = view.containers.rbegin(); container != view.containers.rend(); ++container)
            if (engine::container_running(*container)) {
                engine::kill_container(storage.graph_root, *container, signal);
                any = true;
            }
        if (!any) throw Error("no containers in pod " + view.pod.id + " are running: container state improper");
    });
}

int run_pod_pause(const PodFlags& flags, const GlobalOptions& globals, bool pause) {
    auto storage = open_storage(globals, false);
    auto wanted = pause ? storage::ContainerState::running : storage::ContainerState::paused;
    return for_each_pod(storage, target_names(storage, flags), false, 125, [&](const PodView& view) {
        for (const auto& container : view.containers) {
            if (container.state != wanted || !engine::container_running(container)) continue;
            storage::ContainerStore(storage.graph_root).update(container.id, [&](ContainerRecord& changed) {
                changed.state = pause ? storage::ContainerState::paused : storage::ContainerState::running;
            });
            engine::signal_container_processes(container, pause ? SIGSTOP : SIGCONT);
        }
    });
}

int run_pod_rm(const PodFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    auto names = target_names(storage, flags);
    return for_each_pod(storage, names, flags.ignore || flags.force, exit_no_such_pod,
                        [&](const PodView& view) { remove_pod(storage, view, flags.force, flags.timeout); });
}

bool confirmed() {
    std::printf("WARNING! This will remove all stopped/exited pods..\nAre you sure you want to continue? [y/N] ");
    std::fflush(stdout);
    std::string answer;
    std::getline(std::cin, answer);
    return answer == "y" || answer == "Y" || answer == "yes";
}

int run_pod_prune(const PodFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    if (!flags.force && !confirmed()) return 0;
    std::vector<std::string> names;
    for (const auto& view : pod_views(storage))
        if (view.status == "Exited" || view.status == "Stopped") names.push_back(view.pod.id);
    return for_each_pod(storage, names, true, 125,
                        [&](const PodView& view) { remove_pod(storage, view, false, flags.timeout); });
}

// ---- ps, inspect, exists, top, logs ----

int run_pod_ps(const PodFlags& flags, const GlobalOptions& globals) {
    auto filter = pods::parse_pod_filter(flags.filters);
    auto storage = open_storage(globals, false);
    std::vector<PodView> shown;
    for (auto& view : pod_views(storage)) {
        pods::PodFacts facts{view.status, {}, {}};
        for (const auto& container : view.containers) {
            facts.container_names.push_back(container.name);
            facts.container_ids.push_back(container.id);
        }
        if (pods::pod_matches(filter, view.pod, facts)) shown.push_back(std::move(view));
    }
    if (flags.latest && !shown.empty()) shown.erase(shown.begin(), shown.end() - 1);
    std::reverse(shown.begin(), shown.end());  // newest first, as Podman lists them
    if (flags.quiet) {
        for (const auto& view : shown) std::printf("%s\n", short_id(view.pod.id, flags.no_trunc).c_str());
        return 0;
    }
    if (flags.format == "json") {
        ordered_json list = ordered_json::array();
        for (const auto& view : shown) list.push_back(pod_list_json(view));
        std::printf("%s\n", list.dump(2).c_str());
        return 0;
    }
    json rows = json::array();
    for (const auto& view : shown) rows.push_back(pod_template_row(view, flags.no_trunc));
    std::string format = flags.format;
    if (format.empty())
        format = std::string(flags.noheading ? "" : "table ") +
                 "{{.ID}}\t{{.Name}}\t{{.Status}}\t{{.Created}}\t{{.InfraID}}\t{{.NumberOfContainers}}";
    std::string text = format_list(rows, format, pod_list_schema());
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

int run_pod_inspect(const PodFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    auto names = target_names(storage, flags, false);
    ordered_json documents = ordered_json::array();
    std::string missing;
    for (const auto& name : names) {
        if (!pods::PodStore(storage.graph_root).find(name)) {
            if (missing.empty()) missing = name;
            continue;
        }
        documents.push_back(pod_inspect_json(view_of(storage, name)));
    }
    if (documents.size() == 1 && (flags.format.empty() || flags.format == "json"))
        std::printf("%s\n", documents.front().dump(5).c_str());
    else if (!documents.empty() && !flags.format.empty() && flags.format != "json")
        print_inspect(json::parse(documents.dump()), flags.format, pod_inspect_schema());
    else if (!documents.empty())
        std::printf("%s\n", documents.dump(5).c_str());
    if (!missing.empty()) throw Error("inspecting object: no such pod " + missing);
    return 0;
}

int run_pod_exists(const PodFlags& flags, const GlobalOptions& globals) {
    if (flags.names.size() != 1) throw Error("accepts 1 arg(s), received " + std::to_string(flags.names.size()));
    auto storage = open_storage(globals, false);
    return pods::PodStore(storage.graph_root).find(flags.names.front()) ? 0 : exit_no_such_pod;
}

std::string user_name(uid_t uid) {
    if (passwd* entry = ::getpwuid(uid)) return entry->pw_name;
    return std::to_string(uid);
}

int run_pod_top(const PodFlags& flags, const GlobalOptions& globals) {
    if (flags.names.empty()) throw Error("you must provide the name or ID of a running pod");
    auto storage = open_storage(globals, false);
    auto view = view_of(storage, flags.names.front());
    std::vector<std::vector<std::string>> rows{{"USER", "PID", "PPID", "COMMAND", "NAME"}};
    bool any = false;
    for (const auto& container : view.containers) {
        if (!engine::container_running(container)) continue;
        any = true;
        for (const auto& process : engine::container_processes(container))
            rows.push_back({user_name(process.uid), std::to_string(process.pid), std::to_string(process.ppid),
                            process.command, container.name});
    }
    if (!any) throw Error("pod top can only be used on pods with at least one running container");
    std::fputs(format_table(rows).c_str(), stdout);
    return 0;
}

int run_pod_logs(const PodFlags& flags, const GlobalOptions& globals) {
    if (flags.names.size() != 1) throw Error("accepts 1 arg(s), received " + std::to_string(flags.names.size()));
    auto storage = open_storage(globals, false);
    auto view = view_of(storage, flags.names.front());
    storage::ContainerStore store(storage.graph_root);
    for (const auto& container : view.containers) {
        if (container.id == view.pod.infra_id) continue;
        auto log = read_file_if_exists(store.paths_of(container.id).userdata + "/ctr.log").value_or("");
        std::string pending;  // P entries go on in the next one
        for (const auto& line : split(log, '\n')) {
            auto entry = engine::parse_log_line(line);
            if (!entry) continue;
            pending += entry->text;
            if (entry->partial) continue;
            std::printf("%s %s\n", container.id.substr(0, 12).c_str(), pending.c_str());
            pending.clear();
        }
    }
    return 0;
}

// ---- the command tree ----

void add_pod_create(CommandTree& tree, CLI::App& pod, const GlobalOptions& globals) {
    auto flags = std::make_shared<CreateFlags>();
    CommandHelp help{"[options] [NAME]",
                     "Create a pod: containers run in it with --pod share its namespaces (ipc, net and uts unless\n"
                     "--share says otherwise), held by its infra container, which runs catatonit from the host (no\n"
                     "image, so it works offline) and publishes the pod's ports.",
                     {"berth pod create --name web -p 8080:80", "berth run -d --pod web busybox httpd -f -p 80",
                      "berth pod create --share net,ipc --label app=web web2"},
                     ValueKind::none};
    auto& create = tree.add_command(pod, "create", "Create a new empty pod", std::move(help),
                                    [flags, &globals] { return run_pod_create(*flags, globals); });
    create.add_option("name", flags->name_argument, "The pod's name");
    create.add_option("-n,--name", flags->name, "Assign a name to the pod");
    create.add_option("-p,--publish", flags->publish, "Publish a container's port, or a range of ports, to the host");
    create.add_option("--share", flags->share, "A comma delimited list of kernel namespaces the pod will share")
        ->capture_default_str();
    create
        .add_option("--infra", flags->infra,
                    "Create an infra container associated with the pod to share namespaces with")
        ->expected(0, 1)
        ->default_str("true");
    create.add_flag("--no-infra", flags->no_infra, "Create the pod without an infra container");
    create.add_flag("--replace", flags->replace, "If a pod with the same name exists, replace it");
    create.add_option("--pod-id-file", flags->pod_id_file, "Write the pod ID to the file");
    create.add_option("--infra-command", flags->infra_command,
                      "The command to run on the infra container when the pod is started");
    create.add_option("--infra-name", flags->infra_name, "The name used as infra container name");
    create.add_option("-l,--label", flags->labels, "Set metadata on pod (default [])");
    create.add_option("--hostname", flags->hostname, "Set a hostname to the pod");
    create.add_option("--add-host", flags->add_hosts, "Add a custom host-to-IP mapping (host:ip)");
    create.add_option("--network,--net", flags->network,
                      "Connect the pod to a network (none, host, slirp4netns[:OPTIONS], pasta[:OPTIONS], bridge)");
    create.add_option("--dns", flags->dns, "Set custom DNS servers");
    create.add_option("--dns-search", flags->dns_search, "Set custom DNS search domains");
    create.add_option("--dns-option", flags->dns_option, "Set custom DNS options");
    create.add_option("--userns", flags->userns, "User namespace to use (host, private)");
    create.add_option("--exit-policy", flags->exit_policy, "Behaviour when the last container exits (continue, stop)");
}

CLI::App& add_pod_action(CommandTree& tree, CLI::App& pod, const std::string& name, const std::string& summary,
                         const std::string& description, std::shared_ptr<PodFlags> flags,
                         std::function<int(const PodFlags&)> action) {
    CommandHelp help{"[options] POD [POD...]", description, {"berth pod " + name + " web"}, ValueKind::none};
    auto& command = tree.add_command(pod, name, summary, std::move(help), [flags, action] { return action(*flags); });
    command.add_option("pod", flags->names, "Pods");
    return command;
}

void add_pod_lifecycle(CommandTree& tree, CLI::App& pod, const GlobalOptions& globals) {
    auto start = std::make_shared<PodFlags>();
    auto& start_command = add_pod_action(tree, pod, "start", "Start one or more pods",
                                         "Start pods: the infra first, then the other containers.", start,
                                         [&globals](const PodFlags& flags) { return run_pod_start(flags, globals); });
    start_command.add_flag("-a,--all", start->all, "Start all pods");
    start_command.add_flag("-l,--latest", start->latest, "Act on the latest pod berth is aware of");

    auto stop = std::make_shared<PodFlags>();
    auto& stop_command =
        add_pod_action(tree, pod, "stop", "Stop one or more pods", "Stop pods: their containers, the infra last.", stop,
                       [&globals](const PodFlags& flags) { return run_pod_stop(flags, globals); });
    stop_command.add_flag("-a,--all", stop->all, "Stop all running pods");
    stop_command.add_flag("-l,--latest", stop->latest, "Act on the latest pod berth is aware of");
    stop_command.add_flag("-i,--ignore", stop->ignore, "Ignore errors when a specified pod is missing");
    stop_command.add_option("-t,--time", stop->timeout, "Seconds to wait for pod stop before killing the container");

    auto restart = std::make_shared<PodFlags>();
    auto& restart_command =
        add_pod_action(tree, pod, "restart", "Restart one or more pods", "Stop and start pods again.", restart,
                       [&globals](const PodFlags& flags) { return run_pod_restart(flags, globals); });
    restart_command.add_flag("-a,--all", restart->all, "Restart all running pods");
    restart_command.add_flag("-l,--latest", restart->latest, "Act on the latest pod berth is aware of");

    auto kill = std::make_shared<PodFlags>();
    auto& kill_command = add_pod_action(tree, pod, "kill", "Send the specified signal or SIGKILL to containers in pod",
                                        "Send a signal to the running containers of pods.", kill,
                                        [&globals](const PodFlags& flags) { return run_pod_kill(flags, globals); });
    kill_command.add_flag("-a,--all", kill->all, "Kill all running pods");
    kill_command.add_flag("-l,--latest", kill->latest, "Act on the latest pod berth is aware of");
    kill_command.add_option("-s,--signal", kill->signal, "Signal to send to the containers in the pod")
        ->capture_default_str();

    for (bool pause : {true, false}) {
        auto flags = std::make_shared<PodFlags>();
        std::string name = pause ? "pause" : "unpause";
        auto& command = add_pod_action(
            tree, pod, name, pause ? "Pause one or more pods" : "Unpause one or more pods",
            pause ? "Stop the processes of the pods' containers (SIGSTOP)." : "Let them go on (SIGCONT).", flags,
            [&globals, pause](const PodFlags& given) { return run_pod_pause(given, globals, pause); });
        command.add_flag("-a,--all", flags->all, pause ? "Pause all running pods" : "Unpause all paused pods");
        command.add_flag("-l,--latest", flags->latest, "Act on the latest pod berth is aware of");
    }

    auto rm = std::make_shared<PodFlags>();
    auto& rm_command = add_pod_action(tree, pod, "rm", "Remove one or more pods",
                                      "Remove pods and their containers (running ones only with --force).", rm,
                                      [&globals](const PodFlags& flags) { return run_pod_rm(flags, globals); });
    rm_command.alias("remove");
    rm_command.add_flag("-a,--all", rm->all, "Remove all pods");
    rm_command.add_flag("-f,--force", rm->force, "Force removal of a running pod by first stopping all containers");
    rm_command.add_flag("-i,--ignore", rm->ignore, "Ignore errors when a specified pod is missing");
    rm_command.add_flag("-l,--latest", rm->latest, "Act on the latest pod berth is aware of");
    rm_command.add_option("-t,--time", rm->timeout, "Seconds to wait for pod stop before killing the container");

    auto prune = std::make_shared<PodFlags>();
    CommandHelp prune_help{"[options]",
                           "Remove all stopped or exited pods and their containers.",
                           {"berth pod prune --force"},
                           ValueKind::none};
    auto& prune_command =
        tree.add_command(pod, "prune", "Remove all stopped pods and their containers", std::move(prune_help),
                         [prune, &globals] { return run_pod_prune(*prune, globals); });
    prune_command.add_flag("-f,--force", prune->force, "Do not prompt for confirmation");
}

void add_pod_queries(CommandTree& tree, CLI::App& pod, const GlobalOptions& globals) {
    auto ps = std::make_shared<PodFlags>();
    CommandHelp ps_help{
        "[options]",
        "List pods.",
        {"berth pod ps", "berth pod ps --filter label=app=web -q", "berth pod ps --format '{{.Name}} {{.Status}}'"},
        ValueKind::none};
    auto& ps_command = tree.add_command(pod, "ps", "List pods", std::move(ps_help),
                                        [ps, &globals] { return run_pod_ps(*ps, globals); });
    ps_command.alias("ls");
    ps_command.alias("list");
    ps_command.add_option("-f,--filter", ps->filters,
                          "Filter output based on conditions given (name, id, label, status)");
    ps_command.add_option("--format", ps->format, "Pretty-print pods to JSON or using a Go template");
    ps_command.add_flag("-q,--quiet", ps->quiet, "Print the numeric IDs of the pods only");
    ps_command.add_flag("--no-trunc", ps->no_trunc, "Do not truncate pod and container IDs");
    ps_command.add_flag("-n,--noheading", ps->noheading, "Do not print headers");
    ps_command.add_flag("-l,--latest", ps->latest, "Act on the latest pod berth is aware of");

    auto inspect = std::make_shared<PodFlags>();
    auto& inspect_command =
        add_pod_action(tree, pod, "inspect", "Displays a pod configuration", "Display the details of pods as JSON.",
                       inspect, [&globals](const PodFlags& flags) { return run_pod_inspect(flags, globals); });
    inspect_command.add_option("-f,--format", inspect->format, "Format the output to a Go template or json");
    inspect_command.add_flag("-l,--latest", inspect->latest, "Act on the latest pod berth is aware of");

    auto exists = std::make_shared<PodFlags>();
    add_pod_action(tree, pod, "exists", "Check if a pod exists in local storage",
                   "Exit with status 0 when the pod exists, 1 when it does not.", exists,
                   [&globals](const PodFlags& flags) { return run_pod_exists(flags, globals); });

    auto top = std::make_shared<PodFlags>();
    add_pod_action(tree, pod, "top", "Display the running processes of containers in a pod",
                   "The processes of every running container of the pod.", top,
                   [&globals](const PodFlags& flags) { return run_pod_top(flags, globals); });

    auto logs = std::make_shared<PodFlags>();
    add_pod_action(tree, pod, "logs", "Fetch logs for pod with one or more containers",
                   "The logs of the pod's containers (not the infra's), each line after its container's id.", logs,
                   [&globals](const PodFlags& flags) { return run_pod_logs(flags, globals); });
}

}  // namespace

void add_pod_commands(CommandTree& tree, const GlobalOptions& globals) {
    if (!tree.wants("pod")) return;
    CommandHelp group_help{"[command]",
                           "Manage pods: groups of containers that share namespaces (network, ipc, uts).",
                           {"berth pod create --name web -p 8080:80", "berth run -d --pod web busybox httpd -f"},
                           ValueKind::none};
    auto& pod = tree.add_command(tree.root(), "pod", "Manage pods", std::move(group_help), nullptr);
    add_pod_create(tree, pod, globals);
    add_pod_lifecycle(tree, pod, globals);
    add_pod_queries(tree, pod, globals);
}

}  // namespace berth::cli
