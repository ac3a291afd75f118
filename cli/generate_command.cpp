// berth generate systemd: a systemd service unit for a container, as Podman 4.3 writes it.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/commands.hpp"
#include "cli/storage_context.hpp"
#include "common/error.hpp"
#include "common/files.hpp"
#include "common/version.hpp"
#include "engine/monitor.hpp"
#include "storage/container_store.hpp"
#include "systemd/container_unit.hpp"

namespace berth::cli {

namespace {

struct GenerateFlags {
    std::string container;
    bool new_container = false, use_name = false, files = false, no_header = false, template_unit = false;
    std::string restart_policy = "on-failure";
    long restart_sec = -1, start_timeout = -1, stop_timeout = -1;  // -1: not given
    std::string container_prefix = "container", separator = "-", format;
    std::vector<std::string> after, required, wants, environment;
};

// The running binary's absolute path: what the unit's commands run.
std::string own_executable() {
    char path[PATH_MAX];
    ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
    if (length < 0) throw_last_errno("read /proc/self/exe");
    return std::string(path, static_cast<size_t>(length));
}

// Now as `date` prints it (Go's time.UnixDate, as in Podman's header).
std::string now_text() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char text[64];
    std::strftime(text, sizeof text, "%a %b %e %H:%M:%S %Z %Y", &local);
    return text;
}

std::optional<unsigned> given(long value) {
    return value < 0 ? std::nullopt : std::optional<unsigned>(static_cast<unsigned>(value));
}

systemd::UnitOptions unit_options(const GenerateFlags& flags) {
    systemd::UnitOptions options;
    options.executable = own_executable();
    options.new_container = flags.new_container;
    options.use_name = flags.use_name;
    options.header = !flags.no_header;
    options.restart_policy = flags.restart_policy;
    options.restart_sec = given(flags.restart_sec);
    options.start_timeout = given(flags.start_timeout);
    options.stop_timeout = given(flags.stop_timeout);
    options.container_prefix = flags.container_prefix;
    options.separator = flags.separator;
    options.after = flags.after;
    options.required = flags.required;
    options.wants = flags.wants;
    options.environment = flags.environment;
    options.generator = std::string("berth ") + berth_version;
    options.generated_at = now_text();
    return options;
}

systemd::ContainerFacts container_facts(const StorageContext& storage, const storage::ContainerRecord& record) {
    systemd::ContainerFacts facts;
    facts.id = record.id;
    facts.name = record.name;
    facts.create_command = record.create_command;
    facts.create_arguments = static_cast<size_t>(std::max(record.create_arguments, 0));
    facts.run_root = storage.run_root;
    facts.pid_file = engine::container_monitor_pid_path(storage.graph_root, record.id);
    return facts;
}

int run_generate_systemd(const GenerateFlags& flags, const GlobalOptions& globals) {
    if (flags.template_unit) throw Error("--template is not supported yet");
    if (!flags.format.empty() && flags.format != "json")
        throw Error("unsupported format \"" + flags.format + "\": only json is supported");
    if (!systemd::valid_restart_policy(flags.restart_policy))
        throw Error(flags.restart_policy + " is not a valid restart policy");
    auto storage = open_storage(globals, false);
    auto record = storage::ContainerStore(storage.graph_root).find(flags.container);
    if (!record)
        throw Error(flags.container + " does not refer to a container or pod: no container with name or ID \"" +
                    flags.container + "\" found: no such container (berth has no pods)");
    auto facts = container_facts(storage, *record);
    auto options = unit_options(flags);
    std::string name = systemd::unit_name(facts, options);
    std::string unit = systemd::container_unit(facts, options);
    if (flags.files) {
        char* directory = ::get_current_dir_name();
        if (!directory) throw_last_errno("find the current directory");
        std::string path = std::string(directory) + "/" + name + ".service";
        std::free(directory);
        write_file_atomic(path, unit, 0644);
        if (flags.format == "json")
            std::printf("%s\n", nlohmann::json{{name, path}}.dump(1).c_str());
        else
            std::printf("%s\n", path.c_str());
        return 0;
    }
    if (flags.format == "json")
        std::printf("%s\n", nlohmann::json{{name, unit}}.dump(1).c_str());
    else
        std::fputs(unit.c_str(), stdout);
    return 0;
}

void add_generate_systemd(CommandTree& tree, CLI::App& generate, const GlobalOptions& globals) {
    auto flags = std::make_shared<GenerateFlags>();
    CommandHelp help{"[options] CONTAINER",
                     "Generate a systemd service unit for a container, as Podman does: one that starts and stops\n"
                     "the existing container, or with --new one that creates a fresh container at every start\n"
                     "and removes it at stop. berth has no pods yet.",
                     {"berth generate systemd --name web", "berth generate systemd --new --files --name web"},
                     ValueKind::containers};
    auto& systemd = tree.add_command(generate, "systemd", "Generate systemd units", std::move(help),
                                     [flags, &globals] { return run_generate_systemd(*flags, globals); });
    systemd.add_option("container", flags->container, "Container")->required();
    systemd.add_option("--after", flags->after, "Add dependencies order to the generated unit file");
    systemd.add_option("--container-prefix", flags->container_prefix, "Systemd unit name prefix for containers")
        ->capture_default_str();
    systemd.add_option("-e,--env", flags->environment, "Set environment variables to the systemd unit files");
    systemd.add_flag("-f,--files", flags->files, "Generate .service files instead of printing to stdout");
    systemd.add_option("--format", flags->format, "Print the created units in specified format (json)");
    systemd.add_flag("-n,--name", flags->use_name, "Use container/pod names instead of IDs");
    systemd.add_flag("--new", flags->new_container,
                     "Create a new container or pod instead of starting an existing one");
    systemd.add_flag("--no-header", flags->no_header, "Skip header generation");
    systemd.add_option("--requires", flags->required,
                       "Similar to wants, but declares stronger requirement dependencies");
    systemd.add_option("--restart-policy", flags->restart_policy, "Systemd restart-policy")->capture_default_str();
    systemd.add_option("--restart-sec", flags->restart_sec, "Systemd restart-sec")->check(CLI::Range(0L, 1L << 31));
    systemd.add_option("--separator", flags->separator, "Systemd unit name separator between name/id and prefix")
        ->capture_default_str();
    systemd.add_option("--start-timeout", flags->start_timeout, "Start timeout override")
        ->check(CLI::Range(0L, 1L << 31));
    systemd.add_option("--stop-timeout,-t,--time", flags->stop_timeout, "Stop timeout override (default 10)")
        ->check(CLI::Range(0L, 1L << 31));
    systemd.add_flag("--template", flags->template_unit,
                     "Make it a template file and use %i and %I specifiers (not supported yet)");
    systemd.add_option("--wants", flags->wants, "Add (weak) requirement dependencies to the generated unit file");
}

}  // namespace

void add_generate_commands(CommandTree& tree, const GlobalOptions& globals) {
    if (!tree.wants("generate")) return;
    CommandHelp group_help{"[command]",
                           "Generate structured data from containers: systemd units.",
                           {"berth generate systemd --new --name web"},
                           ValueKind::none};
    auto& generate =
        tree.add_command(tree.root(), "generate", "Generate structured data", std::move(group_help), nullptr);
    add_generate_systemd(tree, generate, globals);
}

}  // namespace berth::cli
