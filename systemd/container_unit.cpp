#include "systemd/container_unit.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include "common/error.hpp"
#include "systemd/new_container_command.hpp"

namespace berth::systemd {

namespace {

constexpr std::array<std::string_view, 7> restart_policies{"no",          "on-success", "on-failure", "on-abnormal",
                                                           "on-watchdog", "on-abort",   "always"};

// One word of a command line as systemd reads it: specifiers (%) and variables ($) taken literally, and quoted
// when it holds blanks, quotes or backslashes.
std::string escaped_word(const std::string& word) {
    std::string escaped;
    bool quote = word.empty();
    for (char c : word) {
        if (c == '%' || c == '$') escaped += c;
        if (c == '"' || c == '\\') escaped += '\\';
        if (c == ' ' || c == '\t' || c == '\n' || c == '"' || c == '\'' || c == '\\' || c == ';') quote = true;
        escaped += c;
    }
    return quote ? "\"" + escaped + "\"" : escaped;
}

// A command line over several lines, as Podman lays them out: each option begins a continued line.
std::string command_text(const std::vector<std::string>& words) {
    std::string text;
    for (size_t index = 0; index < words.size(); ++index) {
        if (index > 0) text += words[index].starts_with("-") ? " \\\n\t" : " ";
        text += words[index];
    }
    return text;
}

std::string joined(const std::vector<std::string>& values) {
    std::string text;
    for (const auto& value : values) text += (text.empty() ? "" : " ") + value;
    return text;
}

// argv[0]'s global options (--root, --runroot, --storage-driver …): the words before `create` or `run`.
std::vector<std::string> global_options(const std::vector<std::string>& create_command) {
    std::vector<std::string> words;
    for (size_t index = 1; index < create_command.size(); ++index) {
        const std::string& word = create_command[index];
        if (word == "create" || word == "run") break;
        if (word != "container") words.push_back(escaped_word(word));
    }
    return words;
}

// `EXECUTABLE [global options] VERB ARGS...`
std::vector<std::string> engine_command(const ContainerFacts& container, const UnitOptions& options,
                                        std::initializer_list<std::string> verb_and_arguments) {
    std::vector<std::string> words{options.executable};
    auto globals = global_options(container.create_command);
    words.insert(words.end(), globals.begin(), globals.end());
    words.insert(words.end(), verb_and_arguments);
    return words;
}

void add_unit_section(std::string& unit, const std::string& service, const std::string& mounts,
                      const UnitOptions& options) {
    unit += "[Unit]\n";
    unit += "Description=berth " + service + "\n";
    unit += "Documentation=man:berth-generate-systemd(1)\n";
    unit += "Wants=network-online.target\n";
    unit += "After=network-online.target\n";
    unit += "RequiresMountsFor=" + mounts + "\n";
    if (!options.wants.empty() || !options.after.empty() || !options.required.empty()) {
        unit += "\n# User-defined dependencies\n";
        if (!options.wants.empty()) unit += "Wants=" + joined(options.wants) + "\n";
        if (!options.after.empty()) unit += "After=" + joined(options.after) + "\n";
        if (!options.required.empty()) unit += "Requires=" + joined(options.required) + "\n";
    }
}

void add_service_head(std::string& unit, unsigned stop_timeout, const UnitOptions& options) {
    unit += "\n[Service]\n";
    unit += "Environment=PODMAN_SYSTEMD_UNIT=%n\n";
    for (const auto& variable : options.environment) unit += "Environment=" + escaped_word(variable) + "\n";
    unit += "Restart=" + options.restart_policy + "\n";
    if (options.restart_sec) unit += "RestartSec=" + std::to_string(*options.restart_sec) + "\n";
    if (options.start_timeout && *options.start_timeout != 0)
        unit += "TimeoutStartSec=" + std::to_string(*options.start_timeout) + "\n";
    unit += "TimeoutStopSec=" + std::to_string(60 + stop_timeout) + "\n";
}

// Starts and stops the existing container; its monitor is the service's main process.
void add_existing_container_commands(std::string& unit, const ContainerFacts& container, const UnitOptions& options,
                                     unsigned stop_timeout) {
    const std::string& target = options.use_name ? container.name : container.id;
    std::string timeout = std::to_string(stop_timeout);
    unit += "ExecStart=" + command_text(engine_command(container, options, {"start", target})) + "\n";
    std::string stop = command_text(engine_command(container, options, {"stop", "-t", timeout, target}));
    unit += "ExecStop=" + stop + "\n";
    unit += "ExecStopPost=" + stop + "\n";
    unit += "PIDFile=" + container.pid_file + "\n";
    unit += "Type=forking\n";
}

// Creates a fresh container at start (its id in %t/%n.ctr-id) and removes it after it stops.
void add_new_container_commands(std::string& unit, const ContainerFacts& container, const UnitOptions& options,
                                unsigned stop_timeout) {
    std::vector<std::string> create_command;
    create_command.reserve(container.create_command.size());
    for (const auto& word : container.create_command) create_command.push_back(escaped_word(word));
    auto run = new_container_command(create_command, container.create_arguments, options.executable,
                                     escaped_word(container.name));
    std::string timeout = std::to_string(stop_timeout);
    unit += "ExecStartPre=/bin/rm \\\n\t-f %t/%n.ctr-id\n";
    unit += "ExecStart=" + command_text(run) + "\n";
    unit += "ExecStop=" + command_text(engine_command(container, options, {"stop", "--ignore", "-t", timeout})) +
            " \\\n\t--cidfile=%t/%n.ctr-id\n";
    unit +=
        "ExecStopPost=" + command_text(engine_command(container, options, {"rm", "-f", "--ignore", "-t", timeout})) +
        " \\\n\t--cidfile=%t/%n.ctr-id\n";
    unit += "Type=notify\n";
    unit += "NotifyAccess=all\n";
}

}  // namespace

bool valid_restart_policy(const std::string& policy) {
    return std::find(restart_policies.begin(), restart_policies.end(), policy) != restart_policies.end();
}

std::string unit_name(const ContainerFacts& container, const UnitOptions& options) {
    return options.container_prefix + options.separator + (options.use_name ? container.name : container.id);
}

std::string container_unit(const ContainerFacts& container, const UnitOptions& options) {
    if (!valid_restart_policy(options.restart_policy))
        throw Error(options.restart_policy + " is not a valid restart policy");
    if (options.new_container && container.create_command.empty())
        throw Error("container " + container.name +
                    " has no create command recorded (it was created by an older berth): cannot generate a --new unit");
    std::string service = unit_name(container, options) + ".service";
    unsigned stop_timeout = options.stop_timeout.value_or(container.stop_timeout);
    std::string unit = "# " + service + "\n";
    if (options.header) unit += "# autogenerated by " + options.generator + "\n# " + options.generated_at + "\n";
    unit += "\n";
    add_unit_section(unit, service, container.run_root, options);
    add_service_head(unit, stop_timeout, options);
    if (options.new_container)
        add_new_container_commands(unit, container, options, stop_timeout);
    else
        add_existing_container_commands(unit, container, options, stop_timeout);
    unit += "\n[Install]\n";
    unit += "WantedBy=default.target\n";
    return unit;
}

}  // namespace berth::systemd
