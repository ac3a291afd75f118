// Commands for containers that outlive the command that started them: ps, logs, stop, kill, wait, restart,
// rename, inspect, container prune (and `container ls|ps|logs|stop|kill|wait|restart|rename|prune`).
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "cli/commands.hpp"
#include "cli/container_targets.hpp"
#include "cli/output/format.hpp"
#include "cli/output/table.hpp"
#include "cli/ps_filters.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "engine/container_control.hpp"
#include "engine/container_inspect.hpp"
#include "engine/container_log.hpp"
#include "engine/container_network.hpp"
#include "engine/container_start.hpp"
#include "engine/image_commands.hpp"
#include "engine/monitor.hpp"
#include "engine/runtime_spec.hpp"
#include "gotemplate/podman_format.hpp"
#include "pods/pod_store.hpp"

namespace berth::cli {
namespace {

using nlohmann::json;
using storage::ContainerRecord;
using storage::ContainerState;

constexpr int64_t ns_per_second = 1000000000;
constexpr size_t truncated_command = 17;

int64_t now_seconds() { return static_cast<int64_t>(std::time(nullptr)); }

// ---- ps ----

struct PsFlags {
    bool all = false, quiet = false, latest = false, no_trunc = false, size = false, external = false, pod = false;
    bool noheading = false;
    int last = -1;
    std::string format;
    std::string sort = "created";
    std::vector<std::string> filters;
};

std::string status_text(const ContainerRecord& record) {
    switch (record.state) {
        case ContainerState::created: return "Created";
        case ContainerState::running: return "Up " + human_age(now_seconds() - record.started_ns / ns_per_second);
        case ContainerState::paused: return "Paused";
        case ContainerState::stopped:
        case ContainerState::exited:
            return "Exited (" + std::to_string(record.exit_code) + ") " +
                   human_age(now_seconds() - record.finished_ns / ns_per_second);
    }
    return "Unknown";
}

std::string command_text(const ContainerRecord& record, bool no_trunc) {
    std::string text;
    for (const auto& arg : record.command) text += (text.empty() ? "" : " ") + arg;
    if (!no_trunc && text.size() > truncated_command) text = text.substr(0, truncated_command) + "...";
    return text;
}

int64_t directory_size(const std::string& path) {
    int64_t total = 0;
    std::vector<std::string> pending{path};
    while (!pending.empty()) {
        std::string directory = pending.back();
        pending.pop_back();
        std::vector<std::string> entries;
        try {
            entries = list_directory(directory);
        } catch (const Error&) {
            continue;  // files of subordinate ids may not be readable from outside the user namespace
        }
        for (const auto& name : entries) {
            std::string child = directory + "/" + name;
            struct stat info {};
            if (::lstat(child.c_str(), &info) != 0) continue;
            if (S_ISDIR(info.st_mode))
                pending.push_back(child);
            else if (S_ISREG(info.st_mode))
                total += info.st_size;
        }
    }
    return total;
}

// Whether a reconciled record is of a container that runs (or is paused).
bool live(const ContainerRecord& record) {
    return record.state == ContainerState::running || record.state == ContainerState::paused;
}

int64_t container_size(const std::string& graph_root, const ContainerRecord& record) {
    auto paths = storage::ContainerStore(graph_root).paths_of(record.id);
    return directory_size(record.driver == "vfs" ? paths.rootfs : paths.upper);
}

json ps_row(const std::string& graph_root, const ContainerRecord& record, const PsFlags& flags) {
    bool exited = record.state == ContainerState::exited || record.state == ContainerState::stopped;
    json row = {{"AutoRemove", record.remove_after_exit},
                {"Command", record.command},
                {"CreatedAt", human_age(now_seconds() - record.created_ns / ns_per_second)},
                {"Exited", exited},
                {"ExitedAt", record.finished_ns / ns_per_second},
                {"ExitCode", record.exit_code},
                {"Id", record.id},
                {"Image", record.image_name},
                {"ImageID", record.image_id.substr(record.image_id.find(':') + 1)},
                {"Labels", record.labels.empty() ? json(nullptr) : json(record.labels)},
                {"Mounts", json::array()},
                {"Names", {record.name}},
                {"Pid", live(record) ? record.pid : 0},
                {"Ports", engine::ports_json(record)},
                {"StartedAt", record.started_ns / ns_per_second},
                {"State", storage::state_name(record.state)},
                {"Status", status_text(record)},
                {"Created", record.created_ns / ns_per_second},
                // Template conveniences, as Podman's ps offers them.
                {"ID", flags.no_trunc ? record.id : record.id.substr(0, 12)},
                {"Names_", record.name},
                {"Ports_", engine::ports_column(record)}};
    if (flags.size) {
        int64_t size = container_size(graph_root, record);
        row["Size"] = {{"rwSize", size}, {"rootFsSize", size}};
    }
    return row;
}

// The containers ps shows, newest first. Only records that claim to run are reconciled (reading /proc): an
// exited or created record is what it says, and `ps -a` with many containers reads each record once.
std::vector<const ContainerRecord*> ps_selection(std::vector<ContainerRecord>& records, const PsFlags& flags,
                                                 const PsFilter& filter) {
    // Only a status filter widens the selection to every state, as in Podman (and Docker).
    bool every = flags.all || flags.latest || flags.last >= 0 || filter.values.contains("status");
    std::vector<const ContainerRecord*> shown;
    for (auto record = records.rbegin(); record != records.rend(); ++record) {
        if (live(*record)) *record = engine::reconciled(std::move(*record));
        if (!every && !live(*record)) continue;
        if (!ps_filter_matches(filter, *record, records)) continue;
        shown.push_back(&*record);
    }
    if (flags.latest && shown.size() > 1) shown.resize(1);
    if (flags.last >= 0 && shown.size() > static_cast<size_t>(flags.last))
        shown.resize(static_cast<size_t>(flags.last));
    return shown;
}

// ps --sort KEY: Podman's orders (created and runningfor newest first, the others ascending).
void sort_ps_rows(std::vector<const ContainerRecord*>& shown, const std::string& key, const std::string& graph_root) {
    auto by = [&](auto value) {
        std::stable_sort(shown.begin(), shown.end(),
                         [&](const ContainerRecord* a, const ContainerRecord* b) { return value(*a) < value(*b); });
    };
    if (key == "created" || key == "runningfor")
        by([](const ContainerRecord& record) { return -record.created_ns; });
    else if (key == "command")
        by([](const ContainerRecord& record) { return command_text(record, true); });
    else if (key == "id")
        by([](const ContainerRecord& record) { return record.id; });
    else if (key == "image")
        by([](const ContainerRecord& record) { return record.image_name; });
    else if (key == "names")
        by([](const ContainerRecord& record) { return record.name; });
    else if (key == "status")
        by([](const ContainerRecord& record) { return status_text(record); });
    else if (key == "size")
        by([&](const ContainerRecord& record) { return container_size(graph_root, record); });
}

void check_ps_flags(const PsFlags& flags) {
    static const std::set<std::string> sort_keys = {"command", "created",    "id",   "image",
                                                    "names",   "runningfor", "size", "status"};
    if (!sort_keys.contains(flags.sort))
        throw Error("invalid argument \"" + flags.sort + "\" for \"--sort\" flag: \"" + flags.sort +
                    "\" is not a valid value.  Choose from: \"command, created, id, image, names, runningfor, size, "
                    "status\"");
    if (flags.latest && flags.last >= 0) throw Error("last and latest are mutually exclusive");
}

// The pods of the storage by id, read once: {name, infra id}.
const std::map<std::string, std::pair<std::string, std::string>>& pods_by_id(const std::string& graph_root) {
    static std::map<std::string, std::pair<std::string, std::string>> pods;
    static bool read = false;
    if (!read)
        for (const auto& pod : pods::PodStore(graph_root).list()) pods[pod.id] = {pod.name, pod.infra_id};
    read = true;
    return pods;
}

std::string pod_name(const std::string& graph_root, const std::string& id) {
    if (id.empty()) return {};
    auto found = pods_by_id(graph_root).find(id);
    return found == pods_by_id(graph_root).end() ? std::string() : found->second.first;
}

std::string pod_infra(const std::string& graph_root, const std::string& id) {
    auto found = pods_by_id(graph_root).find(id);
    return found == pods_by_id(graph_root).end() ? std::string() : found->second.second;
}

// ps --filter pod=NAME|ID: the pods' ids (a value that names no pod stays, as an id prefix).
void resolve_pod_filter(PsFilter& filter, const std::string& graph_root) {
    auto found = filter.values.find("pod");
    if (found == filter.values.end()) return;
    for (auto& value : found->second)
        for (const auto& [id, pod] : pods_by_id(graph_root))
            if (pod.first == value) value = id;
}

// A ps row as templates see it: Podman's psReporter, whose Names, Ports and Command are strings,
// CreatedAt a time and RunningFor an age. Only the fields in `wanted` are made (all without it):
// ps --format with many containers spends its time making rows.
json ps_template_row(const std::string& graph_root, const ContainerRecord& record, const PsFlags& flags,
                     const std::optional<std::set<std::string>>& wanted) {
    using Field = std::pair<const char*, std::function<json()>>;
    auto age = [&] { return human_age(now_seconds() - record.created_ns / ns_per_second); };
    const Field fields[] = {
        {"AutoRemove", [&] { return json(record.remove_after_exit); }},
        {"Command", [&] { return json(command_text(record, flags.no_trunc)); }},
        {"Created", [&] { return json(go_time_text(record.created_ns)); }},
        {"CreatedAt", [&] { return json(go_time_text(record.created_ns)); }},
        {"CreatedHuman", age},
        {"Exited",
         [&] { return json(record.state == ContainerState::exited || record.state == ContainerState::stopped); }},
        {"ExitedAt", [&] { return json(record.finished_ns / ns_per_second); }},
        {"ExitCode", [&] { return json(record.exit_code); }},
        {"ID", [&] { return json(flags.no_trunc ? record.id : record.id.substr(0, 12)); }},
        {"Image", [&] { return json(record.image_name); }},
        {"ImageID",
         [&] {
             std::string hex = record.image_id.substr(record.image_id.find(':') + 1);
             return json(flags.no_trunc ? hex : hex.substr(0, 12));
         }},
        {"IsInfra", [&] { return json(!record.pod.empty() && pod_infra(graph_root, record.pod) == record.id); }},
        {"Labels", [&] { return record.labels.empty() ? json::object() : json(record.labels); }},
        {"Mounts", [] { return json::array(); }},
        {"Names", [&] { return json(record.name); }},
        {"Namespaces", [] { return json::object(); }},
        {"Networks", [] { return json(""); }},
        {"Pid", [&] { return json(live(record) ? record.pid : 0); }},
        {"Pod", [&] { return json(flags.no_trunc ? record.pod : record.pod.substr(0, 12)); }},
        {"PodName", [&] { return json(pod_name(graph_root, record.pod)); }},
        {"Ports", [&] { return json(engine::ports_column(record)); }},
        {"RunningFor", age},
        {"Size",
         [&] {
             if (!flags.size) return json(nullptr);
             int64_t size = container_size(graph_root, record);
             return json{{"rwSize", size}, {"rootFsSize", size}};
         }},
        {"StartedAt", [&] { return json(record.started_ns / ns_per_second); }},
        {"State", [&] { return json(storage::state_name(record.state)); }},
        {"Status", [&] { return json(status_text(record)); }},
    };
    json row = json::object();
    for (const auto& [name, make] : fields)
        if (!wanted || wanted->contains(name)) row[name] = make();
    return row;
}

// ps rows as templates see them: Podman's psReporter fields and headings.
const TemplateSchema& ps_template_schema() {
    static const TemplateSchema schema{
        "ps",
        "containers.psReporter",
        {{"Labels", "map[string]string"}, {"Namespaces", "containers.namespace"}},
        {"AutoRemove", "Command",    "CreatedAt", "Exited",     "ExitedAt",    "ExitCode", "ID",
         "Image",      "ImageID",    "Labels",    "Mounts",     "Names",       "Pid",      "Ports",
         "Size",       "StartedAt",  "State",     "Status",     "Created",     "Networks", "Pod",
         "PodName",    "RunningFor", "IsInfra",   "Namespaces", "CreatedHuman"},
        {{"ID", "CONTAINER ID"},
         {"Pod", "POD ID"},
         {"PodName", "PODNAME"},
         {"Created", "CREATED"},
         {"CreatedHuman", "CREATED"}}};
    return schema;
}

int print_ps_formatted(const std::vector<const ContainerRecord*>& shown, const std::string& graph_root,
                       const PsFlags& flags) {
    json rows = json::array();
    if (gotemplate::is_json_format(flags.format)) {
        for (const auto* record : shown) {
            rows.push_back(ps_row(graph_root, *record, flags));
            rows.back().erase("ID");
            rows.back().erase("Names_");
            rows.back().erase("Ports_");
        }
        std::printf("%s\n", rows.dump(4).c_str());
        return 0;
    }
    auto wanted = template_fields(flags.format, ps_template_schema());
    for (const auto* record : shown) rows.push_back(ps_template_row(graph_root, *record, flags, wanted));
    std::string text = format_list(rows, flags.format, ps_template_schema());
    if (flags.noheading && gotemplate::is_table_format(flags.format)) text = without_heading(text);
    std::fwrite(text.data(), 1, text.size(), stdout);
    return 0;
}

int run_ps(const PsFlags& flags, const GlobalOptions& globals) {
    check_ps_flags(flags);
    auto filter = parse_ps_filters(flags.filters);
    auto storage = open_storage(globals, false);
    resolve_pod_filter(filter, storage.graph_root);
    auto records = storage::ContainerStore(storage.graph_root).list();
    auto shown = ps_selection(records, flags, filter);
    if (flags.sort != "created") sort_ps_rows(shown, flags.sort, storage.graph_root);
    if (flags.quiet) {
        std::string out;
        for (const auto* record : shown) out.append(record->id, 0, flags.no_trunc ? record->id.size() : 12) += '\n';
        std::fputs(out.c_str(), stdout);
        return 0;
    }
    if (!flags.format.empty()) return print_ps_formatted(shown, storage.graph_root, flags);
    std::vector<std::vector<std::string>> table{
        {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"}};
    if (flags.size) table.front().push_back("SIZE");
    if (flags.pod) table.front().insert(table.front().end(), {"POD ID", "PODNAME"});
    table.reserve(shown.size() + 1);
    auto now = now_seconds();
    for (const auto* record : shown) {
        table.push_back({flags.no_trunc ? record->id : record->id.substr(0, 12), record->image_name,
                         command_text(*record, flags.no_trunc), human_age(now - record->created_ns / ns_per_second),
                         status_text(*record), engine::ports_column(*record), record->name});
        if (flags.size)
            table.back().push_back(human_size(static_cast<uint64_t>(container_size(storage.graph_root, *record))));
        if (flags.pod)
            table.back().insert(table.back().end(), {flags.no_trunc ? record->pod : record->pod.substr(0, 12),
                                                     pod_name(storage.graph_root, record->pod)});
    }
    std::string text = format_table(table);
    std::fputs((flags.noheading ? without_heading(text) : text).c_str(), stdout);
    return 0;
}

// ---- logs ----

struct LogsFlags {
    std::vector<std::string> containers;
    bool follow = false, timestamps = false, names = false, latest = false;
    std::string since, until;
    int64_t tail = -1;
};

// RFC 3339 (2026-11-23T08:00:00Z, with a fraction or not), a unix time, or a duration before now (10m, 1h30m).
int64_t parse_time_flag(const std::string& flag, const std::string& text) {
    if (text.empty()) return 0;
    if (auto entry = engine::parse_log_line(text + " stdout F ")) return entry->time_ns;
    if (auto seconds = parse_unsigned(text)) return static_cast<int64_t>(*seconds) * ns_per_second;
    int64_t total = 0, number = 0;
    bool digits = false;
    for (char c : text) {
        if (c >= '0' && c <= '9') {
            number = number * 10 + (c - '0');
            digits = true;
            continue;
        }
        int64_t unit = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : 0;
        if (!digits || unit == 0)
            throw Error("invalid value \"" + text + "\" for " + flag + ": not a time or duration");
        total += number * unit;
        number = 0;
        digits = false;
    }
    if (digits) throw Error("invalid value \"" + text + "\" for " + flag + ": a duration needs a unit (s, m, h)");
    return engine::unix_now_ns() - total * ns_per_second;
}

struct LogPrinter {
    const LogsFlags& flags;
    std::string prefix;  // "NAME " with --names
    int64_t since = 0, until = 0;
    std::string partial;

    void print(const engine::LogEntry& entry) {
        if (since && entry.time_ns < since) return;
        if (until && entry.time_ns > until) return;
        FILE* stream = entry.stream == engine::LogStream::stdout_stream ? stdout : stderr;
        std::string text = prefix;
        if (flags.timestamps) text += engine::format_time_ns(entry.time_ns) + " ";
        text += entry.text;
        if (!entry.partial) text += "\n";
        std::fputs(text.c_str(), stream);
        std::fflush(stream);
    }
};

// Prints the complete lines of `data` from `offset` on; returns the offset after the last complete line.
size_t print_lines(const std::string& data, size_t offset, LogPrinter& printer) {
    for (;;) {
        auto end = data.find('\n', offset);
        if (end == std::string::npos) return offset;
        if (auto entry = engine::parse_log_line(std::string_view(data).substr(offset, end - offset)))
            printer.print(*entry);
        offset = end + 1;
    }
}

void show_logs(const std::string& graph_root, const ContainerRecord& record, const LogsFlags& flags, bool with_names) {
    LogPrinter printer{flags,
                       with_names ? record.name + " " : "",
                       parse_time_flag("--since", flags.since),
                       parse_time_flag("--until", flags.until),
                       {}};
    std::string path = engine::container_log_path(graph_root, record.id);
    std::string data = read_file_if_exists(path).value_or("");
    size_t offset = 0;
    if (flags.tail >= 0) {
        // Start after the last `tail` complete lines.
        size_t lines = 0;
        size_t position = data.size();
        if (position > 0 && data[position - 1] == '\n') --position;
        while (position > 0) {
            auto previous = data.rfind('\n', position - 1);
            if (previous == std::string::npos) {
                position = 0;
                break;
            }
            if (++lines > static_cast<size_t>(flags.tail)) break;
            position = previous;
            if (lines == static_cast<size_t>(flags.tail)) break;
        }
        offset = flags.tail == 0 ? data.size() : (position == 0 ? 0 : position + 1);
        if (flags.tail > 0 && lines < static_cast<size_t>(flags.tail)) offset = 0;
    }
    offset = print_lines(data, offset, printer);
    if (!flags.follow) return;
    storage::ContainerStore store(graph_root);
    for (;;) {
        auto current = store.find(record.id);
        bool running = current && engine::container_running(*current);
        std::string more = read_file_if_exists(path).value_or("");
        if (more.size() < offset) offset = 0;  // the log was started anew (max-size)
        offset = print_lines(more, offset, printer);
        if (!running) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

int run_logs(const LogsFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    std::vector<ContainerRecord> records;
    if (flags.latest) {
        auto all = storage::ContainerStore(storage.graph_root).list();
        if (all.empty()) throw Error("no containers to show logs of");
        records.push_back(all.back());
    }
    for (const auto& name : flags.containers) records.push_back(engine::find_container(storage.graph_root, name));
    if (records.empty()) throw Error("no container name or ID given: specify at least one container or --latest");
    if (flags.follow && records.size() > 1) {
        std::vector<std::thread> followers;
        for (const auto& record : records)
            followers.emplace_back([&, record] { show_logs(storage.graph_root, record, flags, true); });
        for (auto& follower : followers) follower.join();
        return 0;
    }
    for (const auto& record : records) show_logs(storage.graph_root, record, flags, flags.names || records.size() > 1);
    return 0;
}

// ---- stop, kill, wait, restart, rename, prune, inspect ----

struct TargetFlags {
    TargetOptions targets;
    bool running = false;  // restart --running
    int timeout = 10;
    std::string signal = "SIGKILL";
    std::string condition;
    std::string format;
    std::string type = "all";
};

TargetRules rules_for(const std::string& command) {
    TargetRules rules{command, 125, "you must provide at least one name or id", {}};
    if (command == "stop" || command == "kill") rules.all_takes = live;
    if (command == "wait") rules.none_given_message = "\"berth wait\" requires a name, id, or the \"--latest\" flag";
    if (command == "inspect") rules.none_given_message = "no names or ids specified";
    return rules;
}

int act_on_targets(const TargetFlags& flags, const GlobalOptions& globals, const std::string& command,
                   const std::function<void(const StorageContext&, const ContainerRecord&)>& action,
                   bool print_names = true) {
    auto storage = open_storage(globals, false);
    auto targets = resolve_targets(storage.graph_root, flags.targets, rules_for(command));
    return for_each_target(
        targets, [&](const Target& target) { action(storage, target.record); }, print_names);
}

engine::StartRequest start_request_for(const StorageContext& storage, const std::string& id) {
    engine::StartRequest request;
    request.graph_root = storage.graph_root;
    request.run_root = storage.run_root;
    request.id = id;
    request.remove_files = [storage](const std::string& path) { remove_storage_tree(storage, path); };
    return request;
}

int run_stop(const TargetFlags& flags, const GlobalOptions& globals) {
    return act_on_targets(flags, globals, "stop", [&](const StorageContext& storage, const ContainerRecord& record) {
        engine::stop_container(storage.graph_root, record, std::chrono::seconds(flags.timeout));
    });
}

int run_kill(const TargetFlags& flags, const GlobalOptions& globals) {
    int signal = engine::parse_signal(flags.signal);
    return act_on_targets(flags, globals, "kill", [&](const StorageContext& storage, const ContainerRecord& record) {
        engine::kill_container(storage.graph_root, record, signal);
    });
}

// The --condition values Podman knows; berth waits for running and for the end of a container.
const std::set<std::string> known_conditions = {"configured", "created",  "exited",   "paused", "running",
                                                "stopped",    "stopping", "removing", "unknown"};

int run_wait(const TargetFlags& flags, const GlobalOptions& globals) {
    bool until_running = flags.condition == "running";
    if (!flags.condition.empty() && !known_conditions.contains(flags.condition))
        throw Error("unknown container state: " + flags.condition + ": invalid argument");
    if (!flags.condition.empty() && !until_running && flags.condition != "stopped" && flags.condition != "exited")
        throw Error("waiting for condition \"" + flags.condition +
                    "\" is not supported: use running, stopped or exited");
    return act_on_targets(
        flags, globals, "wait",
        [&](const StorageContext& storage, const ContainerRecord& record) {
            int code = engine::wait_for_container(storage.graph_root, record.id, until_running);
            if (code == -1) throw Error("no container with ID " + record.id + " found: no such container");
            std::printf("%d\n", code);
        },
        false);
}

int run_restart(const TargetFlags& flags, const GlobalOptions& globals) {
    auto storage = open_storage(globals, false);
    auto targets = resolve_targets(storage.graph_root, flags.targets, rules_for("restart"));
    if (flags.running) std::erase_if(targets, [](const Target& target) { return !live(target.record); });
    return for_each_target(targets, [&](const Target& target) {
        engine::stop_container(storage.graph_root, target.record, std::chrono::seconds(flags.timeout));
        engine::start_detached(start_request_for(storage, target.record.id));
    });
}

int run_container_prune(const TargetFlags& flags, const GlobalOptions& globals) {
    (void)flags;
    auto storage = open_storage(globals, false);
    for (const auto& found : storage::ContainerStore(storage.graph_root).list()) {
        auto record = engine::reconciled(found);
        if (engine::container_running(record)) continue;
        engine::remove_container(storage.graph_root, record.id, false,
                                 [&storage](const std::string& path) { remove_storage_tree(storage, path); });
        std::printf("%s\n", record.id.c_str());
    }
    return 0;
}

// The names inspect looks up: the arguments, or the latest container with --latest.
std::vector<std::string> inspect_names(const StorageContext& storage, const TargetFlags& flags) {
    if (!flags.targets.latest) {
        if (flags.targets.names.empty()) throw Error("no names or ids specified");
        return flags.targets.names;
    }
    std::vector<std::string> names;
    for (const auto& target : resolve_targets(storage.graph_root, flags.targets, rules_for("inspect")))
        names.push_back(target.record.id);
    return names;
}

int run_inspect_any(const TargetFlags& flags, const GlobalOptions& globals) {
    if (flags.type != "all" && flags.type != "container" && flags.type != "image")
        throw Error("invalid --type \"" + flags.type + "\": expected container, image or all");
    auto storage = open_storage(globals, false);
    json documents = json::array();
    std::vector<std::string> missing;
    for (const auto& name : inspect_names(storage, flags)) {
        std::optional<json> document;
        if (flags.type != "image") {
            if (auto found = storage::ContainerStore(storage.graph_root).find(name))
                document = engine::inspect_container(storage.graph_root, engine::reconciled(*found));
        }
        if (!document && flags.type != "container") {
            try {
                document = engine::inspect_image(storage.graph_root, name);
            } catch (const Error&) {
            }
        }
        if (!document) {
            missing.push_back(name);
            continue;
        }
        documents.push_back(std::move(*document));
    }
    print_inspect(documents, flags.format, container_inspect_schema());
    std::fflush(stdout);
    for (const auto& name : missing)
        std::fprintf(stderr, "Error: inspecting object: no such object: \"%s\"\n", name.c_str());
    return missing.empty() ? 0 : exit_berth_error;
}

int run_rename(const TargetFlags& flags, const GlobalOptions& globals) {
    const auto& names = flags.targets.names;
    if (names.size() != 2) throw Error("accepts 2 arg(s), received " + std::to_string(names.size()));
    auto storage = open_storage(globals, false);
    engine::rename_container(storage.graph_root, names[0], names[1]);
    return 0;
}

// ---- the tree ----

void add_ps(CommandTree& tree, CLI::App& parent, const std::string& name, const GlobalOptions& globals) {
    if (tree.skips(parent, name)) return;
    auto flags = std::make_shared<PsFlags>();
    CommandHelp help{
        "[options]",
        "List containers: the running ones, or all with --all. The state comes from the records\n"
        "and the processes themselves: a container whose monitor and processes are gone is\n"
        "shown as exited.",
        {"berth ps -a", "berth ps --filter status=exited -q", "berth ps --format '{{.Names}} {{.Status}}'"},
        ValueKind::none};
    auto& ps = tree.add_command(parent, name, "List containers", std::move(help),
                                [flags, &globals] { return run_ps(*flags, globals); });
    ps.add_flag("-a,--all", flags->all, "Show all the containers, default is only running containers");
    ps.add_flag("-q,--quiet", flags->quiet, "Print the numeric IDs of the containers only");
    ps.add_flag("-l,--latest", flags->latest, "Show the latest container created (all states)");
    ps.add_option("-n,--last", flags->last, "Print the n last created containers (all states)");
    ps.add_flag("--no-trunc", flags->no_trunc, "Display the extended information");
    ps.add_flag("--pod", flags->pod, "Print the ID and name of the pod the containers are associated with");
    ps.add_option("--sort", flags->sort, "Sort output by: command, created, id, image, names, runningfor, size, status")
        ->capture_default_str();
    ps.add_flag("--external", flags->external,
                "Show containers in storage not controlled by berth (berth has none of its own yet: the same list)");
    ps.add_flag("-s,--size", flags->size, "Display the total file sizes");
    ps.add_flag("--noheading", flags->noheading, "Do not print headers");
    ps.add_option("--format", flags->format, "Pretty-print containers to JSON or using a Go template");
    ps.add_option("-f,--filter", flags->filters,
                  "Filter output based on conditions given (id=, name=, label=, status=, exited=, ancestor=, before=, "
                  "since=, pod=)")
        ->allow_extra_args(false);
}

void add_logs(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    if (tree.skips(parent, "logs")) return;
    auto flags = std::make_shared<LogsFlags>();
    CommandHelp help{"[options] CONTAINER [CONTAINER...]",
                     "Print the output of containers started in the background (berth run -d, berth start),\n"
                     "which their monitors keep in a log file; --follow goes on until the container ends.",
                     {"berth logs web", "berth logs -f --tail 10 web", "berth logs --since 10m -t web"},
                     ValueKind::containers};
    auto& logs = tree.add_command(parent, "logs", "Fetch the logs of one or more containers", std::move(help),
                                  [flags, &globals] { return run_logs(*flags, globals); });
    logs.add_option("container", flags->containers, "Containers");
    logs.add_flag("-f,--follow", flags->follow, "Follow log output");
    logs.add_flag("-t,--timestamps", flags->timestamps, "Output the timestamps in the log");
    logs.add_flag("-n,--names", flags->names, "Output the container name in the log");
    logs.add_flag("-l,--latest", flags->latest, "Act on the latest container berth knows about");
    logs.add_option("--since", flags->since, "Show logs since TIMESTAMP (RFC 3339, unix seconds, or a duration)");
    logs.add_option("--until", flags->until, "Show logs until TIMESTAMP (RFC 3339, unix seconds, or a duration)");
    logs.add_option("--tail", flags->tail, "Output the specified number of LINES at the end of the logs");
}

// Podman's target flags of each command.
TargetFlagSet target_flag_set(const std::string& name) {
    TargetFlagSet set;
    if (name == "stop" || name == "kill" || name == "restart") {
        set.all = set.latest = set.cidfile = true;
        set.all_help = name == "restart" ? "Restart all containers"
                       : name == "stop"  ? "Stop all running containers"
                                         : "Signal all running containers";
    }
    if (name == "stop") set.ignore = true;
    if (name == "wait" || name == "inspect") set.latest = true;
    return set;
}

void add_targets(CommandTree& tree, CLI::App& parent, const std::string& name, const std::string& summary,
                 CommandHelp help, std::function<int(const TargetFlags&)> action) {
    if (tree.skips(parent, name)) return;
    auto flags = std::make_shared<TargetFlags>();
    auto& command =
        tree.add_command(parent, name, summary, std::move(help), [flags, action] { return action(*flags); });
    add_target_flags(command, flags->targets, target_flag_set(name));
    // The options that only some of these commands have.
    if (name == "stop" || name == "restart")
        command
            .add_option("-t,--time,--timeout", flags->timeout, "Seconds to wait for stop before killing the container")
            ->capture_default_str();
    if (name == "restart") command.add_flag("--running", flags->running, "Restart only running containers");
    if (name == "kill")
        command.add_option("-s,--signal", flags->signal, "Signal to send to the container")->capture_default_str();
    if (name == "wait") command.add_option("--condition", flags->condition, "Condition to wait on (running, stopped)");
    if (name == "inspect") {
        command.add_option("-f,--format", flags->format, "Format the output using the given Go template");
        command.add_option("-t,--type", flags->type, "Specify inspect-object type (container, image, all)")
            ->capture_default_str();
    }
}

}  // namespace

void add_lifecycle_commands(CommandTree& tree, const GlobalOptions& globals) {
    auto stop_help = [] {
        return CommandHelp{"[options] CONTAINER [CONTAINER...]",
                           "Stop running containers: send each its stop signal (the image's StopSignal, else\n"
                           "SIGTERM), wait --time seconds, then SIGKILL. The restart policy does not restart them.",
                           {"berth stop web", "berth stop -t 1 web", "berth stop --all"},
                           ValueKind::containers};
    };
    auto kill_help = [] {
        return CommandHelp{"[options] CONTAINER [CONTAINER...]",
                           "Send a signal to the first process of containers.",
                           {"berth kill web", "berth kill -s HUP web"},
                           ValueKind::containers};
    };
    auto wait_help = [] {
        return CommandHelp{"[options] CONTAINER [CONTAINER...]",
                           "Wait for containers to exit and print their exit codes.",
                           {"berth wait web"},
                           ValueKind::containers};
    };
    auto restart_help = [] {
        return CommandHelp{"[options] CONTAINER [CONTAINER...]",
                           "Stop containers, then start them again in the background.",
                           {"berth restart web"},
                           ValueKind::containers};
    };
    auto rename_help = [] {
        return CommandHelp{
            "CONTAINER NEW_NAME", "Give a container a new name.", {"berth rename web web-old"}, ValueKind::containers};
    };
    add_ps(tree, tree.root(), "ps", globals);
    add_logs(tree, tree.root(), globals);
    add_targets(tree, tree.root(), "stop", "Stop one or more containers", stop_help(),
                [&globals](const TargetFlags& flags) { return run_stop(flags, globals); });
    add_targets(tree, tree.root(), "kill", "Kill one or more running containers with a specific signal", kill_help(),
                [&globals](const TargetFlags& flags) { return run_kill(flags, globals); });
    add_targets(tree, tree.root(), "wait", "Block on one or more containers", wait_help(),
                [&globals](const TargetFlags& flags) { return run_wait(flags, globals); });
    add_targets(tree, tree.root(), "restart", "Restart one or more containers", restart_help(),
                [&globals](const TargetFlags& flags) { return run_restart(flags, globals); });
    add_targets(tree, tree.root(), "rename", "Rename an existing container", rename_help(),
                [&globals](const TargetFlags& flags) { return run_rename(flags, globals); });
    add_targets(tree, tree.root(), "inspect", "Display the configuration of an object",
                CommandHelp{"[options] NAME [NAME...]",
                            "Display the configuration of containers or images as JSON, as Podman does;\n"
                            "a name is looked up among containers first.",
                            {"berth inspect web", "berth inspect --format '{{.State.Status}}' web"},
                            ValueKind::containers},
                [&globals](const TargetFlags& flags) { return run_inspect_any(flags, globals); });
}

void add_container_lifecycle_commands(CommandTree& tree, CLI::App& container, const GlobalOptions& globals) {
    add_ps(tree, container, "ls", globals);
    add_ps(tree, container, "ps", globals);
    add_logs(tree, container, globals);
    add_targets(tree, container, "stop", "Stop one or more containers",
                CommandHelp{"[options] CONTAINER [CONTAINER...]",
                            "Stop running containers (see berth-stop(1)).",
                            {"berth container stop web"},
                            ValueKind::containers},
                [&globals](const TargetFlags& flags) { return run_stop(flags, globals); });
    add_targets(tree, container, "kill", "Kill one or more running containers with a specific signal",
                CommandHelp{"[options] CONTAINER [CONTAINER...]",
                            "Send a signal to containers (see berth-kill(1)).",
                            {"berth container kill web"},
                            ValueKind::containers},
                [&globals](const TargetFlags& flags) { return run_kill(flags, globals); });
    add_targets(tree, container, "wait", "Block on one or more containers",
                CommandHelp{"[options] CONTAINER [CONTAINER...]",
                            "Wait for containers to exit (see berth-wait(1)).",
                            {"berth container wait web"},
                            ValueKind::containers},
                [&globals](const TargetFlags& flags) { return run_wait(flags, globals); });
    add_targets(tree, container, "restart", "Restart one or more containers",
                CommandHelp{"[options] CONTAINER [CONTAINER...]",
                            "Restart containers (see berth-restart(1)).",
                            {"berth container restart web"},
                            ValueKind::containers},
                [&globals](const TargetFlags& flags) { return run_restart(flags, globals); });
    add_targets(tree, container, "rename", "Rename an existing container",
                CommandHelp{"CONTAINER NEW_NAME",
                            "Give a container a new name.",
                            {"berth container rename a b"},
                            ValueKind::containers},
                [&globals](const TargetFlags& flags) { return run_rename(flags, globals); });
    add_targets(tree, container, "prune", "Remove all non running containers",
                CommandHelp{"[options]",
                            "Remove every container that is not running, with its writable layer.",
                            {"berth container prune"},
                            ValueKind::none},
                [&globals](const TargetFlags& flags) { return run_container_prune(flags, globals); });
}

}  // namespace berth::cli
