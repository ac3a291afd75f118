// berth top, pause, unpause and attach (and their `berth container` forms).
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>

#include "cli/commands.hpp"
#include "cli/container_targets.hpp"
#include "cli/output/table.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "engine/container_control.hpp"
#include "engine/container_log.hpp"
#include "engine/container_processes.hpp"
#include "engine/container_start.hpp"
#include "engine/monitor.hpp"

namespace berth::cli {
namespace {

using storage::ContainerRecord;
using storage::ContainerState;

struct ProcessFlags {
    std::vector<std::string> arguments;
    TargetOptions targets;  // pause, unpause
    bool no_stdin = false;
    bool latest = false;
};

ContainerRecord running_container(const StorageContext& storage, const std::string& name, const char* action) {
    auto record = engine::find_container(storage.graph_root, name);
    if (!engine::container_running(record))
        throw Error(std::string("can only ") + action + " running containers: " + record.id + " is in state " +
                    storage::state_name(record.state) + ": container state improper");
    return record;
}

std::string user_name(uid_t uid) {
    if (passwd* entry = ::getpwuid(uid)) return entry->pw_name;
    return std::to_string(uid);
}

std::string clock_text(uint64_t seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%02llu:%02llu:%02llu", static_cast<unsigned long long>(seconds / 3600),
                  static_cast<unsigned long long>(seconds / 60 % 60), static_cast<unsigned long long>(seconds % 60));
    return text;
}

double uptime_seconds() {
    auto text = read_file_if_exists("/proc/uptime").value_or("0");
    return std::strtod(text.c_str(), nullptr);
}

int run_top(const ProcessFlags& flags, const GlobalOptions& globals) {
    if (flags.arguments.empty()) throw Error("you must provide the name or ID of a running container");
    auto storage = open_storage(globals, false);
    auto record = running_container(storage, flags.arguments.front(), "list processes of");
    double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    double now = uptime_seconds();
    std::vector<std::vector<std::string>> rows{{"USER", "PID", "PPID", "%CPU", "ELAPSED", "TTY", "TIME", "COMMAND"}};
    for (const auto& process : engine::container_processes(record)) {
        double elapsed = std::max(0.0, now - static_cast<double>(process.start_ticks) / ticks);
        double cpu = static_cast<double>(process.cpu_ticks) / ticks;
        char percent[16];
        std::snprintf(percent, sizeof percent, "%.3f", elapsed > 0 ? 100.0 * cpu / elapsed : 0.0);
        rows.push_back(
            {user_name(process.uid), std::to_string(process.pid), std::to_string(process.ppid), percent,
             human_age(static_cast<int64_t>(elapsed)).substr(0, human_age(static_cast<int64_t>(elapsed)).size() - 4),
             process.tty ? "pts/" + std::to_string(process.tty & 0xff) : "?", clock_text(static_cast<uint64_t>(cpu)),
             process.command});
    }
    std::fputs(format_table(rows).c_str(), stdout);
    return 0;
}

int run_pause(const ProcessFlags& flags, const GlobalOptions& globals, bool pause) {
    auto storage = open_storage(globals, false);
    ContainerState wanted = pause ? ContainerState::running : ContainerState::paused;
    TargetRules rules{pause ? "pause" : "unpause", 125, "you must provide at least one name or id",
                      [wanted](const ContainerRecord& record) { return record.state == wanted; }};
    auto targets = resolve_targets(storage.graph_root, flags.targets, rules);
    return for_each_target(targets, [&](const Target& target) {
        const auto& record = target.record;
        if (record.state != wanted || !engine::container_running(record))
            throw Error("\"" + storage::state_name(record.state) + "\" is not " + (pause ? "running" : "paused") +
                        ", can't " + (pause ? "pause" : "unpause") + ": container state improper");
        storage::ContainerStore(storage.graph_root).update(record.id, [&](ContainerRecord& changed) {
            changed.state = pause ? ContainerState::paused : ContainerState::running;
        });
        engine::signal_container_processes(record, pause ? SIGSTOP : SIGCONT);
    });
}

// Copies the caller's stdin into the container's (the monitor's attach FIFO) until stdin ends.
void forward_stdin(const std::string& fifo) {
    UniqueFd out(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!out.valid()) return;
    int flags = ::fcntl(out.get(), F_GETFL);
    ::fcntl(out.get(), F_SETFL, flags & ~O_NONBLOCK);
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        if (::write(out.get(), buffer, static_cast<size_t>(n)) < 0) return;
    }
}

int run_attach(const ProcessFlags& flags, const GlobalOptions& globals) {
    if (flags.arguments.size() != 1) throw Error("attach requires the name or ID of one container");
    auto storage = open_storage(globals, false);
    auto record = running_container(storage, flags.arguments.front(), "attach to");
    storage::ContainerStore store(storage.graph_root);
    std::string log = engine::container_log_path(storage.graph_root, record.id);
    std::string fifo = engine::container_attach_fifo(storage.graph_root, record.id);
    // New output from now on (measured before any input goes in), until the container ends.
    size_t offset = read_file_if_exists(log).value_or("").size();
    if (!flags.no_stdin && record.interactive) std::thread(forward_stdin, fifo).detach();
    for (;;) {
        auto current = store.find(record.id);
        bool running = current && engine::container_running(*current);
        std::string data = read_file_if_exists(log).value_or("");
        if (data.size() < offset) offset = 0;
        while (true) {
            auto end = data.find('\n', offset);
            if (end == std::string::npos) break;
            if (auto entry = engine::parse_log_line(std::string_view(data).substr(offset, end - offset))) {
                FILE* stream = entry->stream == engine::LogStream::stdout_stream ? stdout : stderr;
                std::fputs((entry->text + (entry->partial ? "" : "\n")).c_str(), stream);
                std::fflush(stream);
            }
            offset = end + 1;
        }
        if (!running) return current ? current->exit_code : 0;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

void add_one(CommandTree& tree, CLI::App& parent, const std::string& name, const std::string& summary, CommandHelp help,
             const std::function<int(const ProcessFlags&)>& action) {
    if (tree.skips(parent, name)) return;
    auto flags = std::make_shared<ProcessFlags>();
    auto& command =
        tree.add_command(parent, name, summary, std::move(help), [flags, action] { return action(*flags); });
    if (name == "pause" || name == "unpause")
        add_target_flags(command, flags->targets,
                         {true, true, true, false,
                          name == "pause" ? "Pause all running containers" : "Unpause all paused containers"});
    else
        command.add_option("container", flags->arguments, "Containers");
    if (name == "attach") command.add_flag("--no-stdin", flags->no_stdin, "Do not attach STDIN");
}

void add_all(CommandTree& tree, CLI::App& parent, const GlobalOptions& globals) {
    add_one(tree, parent, "top", "Display the running processes of a container",
            {"[options] CONTAINER",
             "Display the processes of a running container, as the host sees them (pids, users).",
             {"berth top web"},
             ValueKind::containers},
            [&globals](const ProcessFlags& flags) { return run_top(flags, globals); });
    add_one(tree, parent, "pause", "Pause all the processes in one or more containers",
            {"CONTAINER [CONTAINER...]",
             "Stop every process of running containers (SIGSTOP) until berth unpause; works rootless, where\n"
             "no cgroup freezer is delegated.",
             {"berth pause web"},
             ValueKind::containers},
            [&globals](const ProcessFlags& flags) { return run_pause(flags, globals, true); });
    add_one(tree, parent, "unpause", "Unpause the processes in one or more containers",
            {"CONTAINER [CONTAINER...]",
             "Let the processes of paused containers go on (SIGCONT).",
             {"berth unpause web"},
             ValueKind::containers},
            [&globals](const ProcessFlags& flags) { return run_pause(flags, globals, false); });
    add_one(tree, parent, "attach", "Attach to a running container",
            {"[options] CONTAINER",
             "Show the output of a container running in the background from now on, until it exits,\n"
             "and exit with its status; with -i at its creation, berth's stdin goes to the container's.",
             {"berth attach web", "berth attach --no-stdin web"},
             ValueKind::containers},
            [&globals](const ProcessFlags& flags) { return run_attach(flags, globals); });
}

}  // namespace

void add_process_commands(CommandTree& tree, CLI::App* container, const GlobalOptions& globals) {
    add_all(tree, container ? *container : tree.root(), globals);
}

}  // namespace berth::cli
