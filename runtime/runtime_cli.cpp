#include "runtime/runtime_cli.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/version.hpp"
#include "rootless/subordinate_ids.hpp"
#include "runtime/default_spec.hpp"
#include "runtime/executor.hpp"
#include "runtime/oci_operations.hpp"
#include "runtime/runtime_log.hpp"
#include "runtime/seccomp_filter.hpp"
#include "runtime/signal_names.hpp"
#include "runtime/spec_defaults.hpp"

namespace berth::runtime {
namespace {

using nlohmann::json;

// A usage error: runc's "Incorrect Usage" cases, reported like any error.
struct Flag {
    std::vector<std::string> names;  // "--bundle", "-b"
    bool takes_value = false;
};

struct Parsed {
    std::map<std::string, std::string> values;              // by the first name, without dashes (the last one given)
    std::map<std::string, std::vector<std::string>> lists;  // every value of a repeated flag
    std::set<std::string> set;                              // flags given (booleans and values)
    std::vector<std::string> arguments;
    bool has(const std::string& name) const { return set.count(name) != 0; }
    std::string value(const std::string& name, const std::string& fallback = "") const {
        auto found = values.find(name);
        return found == values.end() ? fallback : found->second;
    }
};

std::string key_of(const Flag& flag) {
    std::string name = flag.names.front();
    return name.substr(name.find_first_not_of('-'));
}

bool boolean_text(const std::string& text, const std::string& flag) {
    if (text == "true" || text == "1" || text == "t" || text == "T" || text == "TRUE" || text == "True") return true;
    if (text == "false" || text == "0" || text == "f" || text == "F" || text == "FALSE" || text == "False")
        return false;
    throw Error("invalid boolean value \"" + text + "\" for -" + flag);
}

// Flags until the first argument that is not one (or "--"), as urfave/cli parses runc's: --flag value,
// --flag=value, -f value; a boolean takes =true/=false only in the joined form. With `stop_at_argument` false,
// flags may follow arguments too.
Parsed parse_flags(const std::vector<std::string>& words, std::size_t start, const std::vector<Flag>& flags,
                   bool stop_at_argument = true) {
    Parsed parsed;
    for (std::size_t index = start; index < words.size(); ++index) {
        const std::string& word = words[index];
        if (word == "--") {
            parsed.arguments.insert(parsed.arguments.end(), words.begin() + static_cast<long>(index) + 1, words.end());
            break;
        }
        if (word.size() < 2 || word[0] != '-') {
            parsed.arguments.push_back(word);
            if (stop_at_argument) {
                parsed.arguments.insert(parsed.arguments.end(), words.begin() + static_cast<long>(index) + 1,
                                        words.end());
                break;
            }
            continue;
        }
        std::string name = word;
        std::optional<std::string> joined;
        if (auto equals = word.find('='); equals != std::string::npos) {
            name = word.substr(0, equals);
            joined = word.substr(equals + 1);
        }
        // Go's flag package takes -flag and --flag alike.
        const Flag* match = nullptr;
        for (const auto& flag : flags)
            for (const auto& candidate : flag.names)
                if (candidate == name || (candidate.rfind("--", 0) == 0 && candidate.substr(1) == name)) match = &flag;
        if (!match) throw Error("flag provided but not defined: " + name);
        std::string key = key_of(*match);
        parsed.set.insert(key);
        if (!match->takes_value) {
            if (joined && !boolean_text(*joined, key)) parsed.set.erase(key);
            continue;
        }
        if (joined) {
            parsed.values[key] = *joined;
        } else {
            if (index + 1 >= words.size()) throw Error("flag needs an argument: " + name);
            parsed.values[key] = words[++index];
        }
        parsed.lists[key].push_back(parsed.values[key]);
    }
    return parsed;
}

void require_arguments(const Parsed& parsed, const std::string& command, std::size_t count, bool exact = true) {
    if (exact ? parsed.arguments.size() != count : parsed.arguments.size() < count)
        throw Error("berth-runtime: \"" + command + "\" requires " + (exact ? "exactly " : "a minimum of ") +
                    std::to_string(count) + " argument(s)");
}

struct Globals {
    std::string root;
    RuntimeLog log;
    bool rootless = false;
};

std::string default_root(bool rootless) {
    if (!rootless) return "/run/berth-runtime";
    if (const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR"); runtime_dir && *runtime_dir)
        return std::string(runtime_dir) + "/berth-runtime";
    return "/tmp/berth-runtime-" + std::to_string(::geteuid());
}

const std::vector<Flag> global_flags = {
    {{"--root"}, true},
    {{"--log"}, true},
    {{"--log-format"}, true},
    {{"--debug"}, false},
    {{"--systemd-cgroup"}, false},
    {{"--rootless"}, true},
    {{"--criu"}, true},
    {{"--help", "-h"}, false},
    {{"--version", "-v"}, false},
};

const std::vector<Flag>
    create_flags =
        {
            {{"--bundle", "-b"}, true}, {{"--console-socket"}, true},  {{"--pid-file"}, true},
            {{"--no-pivot"}, false},    {{"--no-new-keyring"}, false}, {{"--preserve-fds"}, true},
            {{"--seccomp"}, true},  // berth's: a profile for a spec without linux.seccomp (default, PROFILE.json)
};

CreateRequest create_request(const Globals& globals, const Parsed& parsed) {
    CreateRequest request;
    request.root = globals.root;
    request.id = parsed.arguments.front();
    request.bundle = parsed.value("bundle", ".");
    request.pid_file = parsed.value("pid-file");
    request.console_socket = parsed.value("console-socket");
    request.no_pivot = parsed.has("no-pivot");
    request.no_new_keyring = parsed.has("no-new-keyring");
    request.rootless = globals.rootless;
    request.default_seccomp = parsed.value("seccomp");
    if (parsed.has("preserve-fds")) {
        auto count = parse_unsigned(parsed.value("preserve-fds"));
        if (!count || *count > 65536) throw Error("invalid value for --preserve-fds: " + parsed.value("preserve-fds"));
        request.preserve_fds = static_cast<int>(*count);
    }
    return request;
}

// Failures of create and run carry runc's prefix, which clients show as is.
template <typename F>
auto prefixed(const std::string& command, F&& body) {
    try {
        return body();
    } catch (const Error& error) {
        throw Error("berth-runtime " + command + " failed: " + error.what(), error.exit_status());
    }
}

int command_create(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start, create_flags);
    require_arguments(parsed, "create", 1);
    prefixed("create", [&] { return oci_create(create_request(globals, parsed)).pid; });
    return 0;
}

int command_run(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    auto flags = create_flags;
    flags.push_back({{"--detach", "-d"}, false});
    flags.push_back({{"--keep"}, false});
    Parsed parsed = parse_flags(words, start, flags);
    require_arguments(parsed, "run", 1);
    return prefixed("run", [&] { return oci_run(create_request(globals, parsed), parsed.has("detach")); });
}

int command_start(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start, {});
    require_arguments(parsed, "start", 1);
    oci_start(globals.root, parsed.arguments.front());
    return 0;
}

int command_state(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start, {});
    require_arguments(parsed, "state", 1);
    std::cout << oci_state(globals.root, parsed.arguments.front()).dump(2) << std::flush;
    return 0;
}

int command_kill(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start, {{{"--all", "-a"}, false}});
    if (parsed.arguments.empty() || parsed.arguments.size() > 2)
        throw Error("berth-runtime: \"kill\" requires a minimum of 1 and a maximum of 2 argument(s)");
    int signal = SIGTERM;
    if (parsed.arguments.size() == 2) {
        try {
            signal = parse_signal(parsed.arguments[1]);
        } catch (const Error&) {
            throw Error("unknown signal \"" + parsed.arguments[1] + "\"");
        }
    }
    oci_kill(globals.root, parsed.arguments.front(), signal, parsed.has("all"));
    return 0;
}

int command_delete(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start, {{{"--force", "-f"}, false}});
    require_arguments(parsed, "delete", 1);
    oci_delete(globals.root, parsed.arguments.front(), parsed.has("force"));
    return 0;
}

// exec [flags] ID COMMAND...: another process in a running container.
int command_exec(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start,
                                {{{"--process", "-p"}, true},
                                 {{"--tty", "-t"}, false},
                                 {{"--detach", "-d"}, false},
                                 {{"--pid-file"}, true},
                                 {{"--cwd"}, true},
                                 {{"--env", "-e"}, true},
                                 {{"--user", "-u"}, true},
                                 {{"--cap", "-c"}, true},
                                 {{"--console-socket"}, true},
                                 {{"--preserve-fds"}, true},
                                 {{"--no-new-privs"}, false},
                                 {{"--process-label"}, true},
                                 {{"--apparmor"}, true}});
    require_arguments(parsed, "exec", 1, false);
    ExecRequest request;
    request.root = globals.root;
    request.id = parsed.arguments.front();
    request.args.assign(parsed.arguments.begin() + 1, parsed.arguments.end());
    request.process_file = parsed.value("process");
    request.tty = parsed.has("tty");
    request.detach = parsed.has("detach");
    request.pid_file = parsed.value("pid-file");
    request.cwd = parsed.value("cwd");
    request.user = parsed.value("user");
    if (auto found = parsed.lists.find("env"); found != parsed.lists.end()) request.env = found->second;
    if (auto found = parsed.lists.find("cap"); found != parsed.lists.end()) request.caps = found->second;
    request.console_socket = parsed.value("console-socket");
    // runc: "exec failed: ..." with status 255 when the process cannot be started.
    try {
        return oci_exec(request);
    } catch (const Error& error) {
        globals.log.error(std::string("exec failed: ") + error.what());
        return 255;
    }
}

// runc's tabwriter: columns at least 12 wide, 3 spaces of padding.
void print_table(const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows)
        for (std::size_t column = 0; column + 1 < row.size(); ++column) {
            if (widths.size() <= column) widths.push_back(12);
            widths[column] = std::max(widths[column], row[column].size() + 3);
        }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t column = 0; column < row.size(); ++column) {
            line += row[column];
            if (column + 1 < row.size()) line.append(widths[column] - row[column].size(), ' ');
        }
        std::cout << line << "\n";
    }
}

int command_list(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start, {{{"--format", "-f"}, true}, {{"--quiet", "-q"}, false}});
    std::string format = parsed.value("format", "table");
    if (format != "table" && format != "json") throw Error("invalid format option");
    auto states = oci_list(globals.root);
    if (parsed.has("quiet")) {
        for (const auto& state : states) std::cout << state["id"].get<std::string>() << "\n";
        return 0;
    }
    if (format == "json") {
        json out = states.empty() ? json(nullptr) : json(states);
        std::cout << out.dump() << "\n";
        return 0;
    }
    std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"}};
    for (const auto& state : states)
        rows.push_back({state["id"].get<std::string>(), std::to_string(state["pid"].get<int>()),
                        state["status"].get<std::string>(), state["bundle"].get<std::string>(),
                        state["created"].get<std::string>(),
                        state["owner"].get<std::string>().empty() ? "root" : state["owner"].get<std::string>()});
    print_table(rows);
    return 0;
}

// ps: the container's pids as JSON, or ps(1)'s lines for them (ps -ef unless options are given).
int command_ps(const Globals& globals, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start, {{{"--format", "-f"}, true}});
    require_arguments(parsed, "ps", 1, false);
    std::string format = parsed.value("format", "table");
    auto pids = oci_pids(globals.root, parsed.arguments.front());
    if (format == "json") {
        std::cout << json(pids).dump() << "\n";
        return 0;
    }
    if (format != "table") throw Error("invalid format option");
    std::string command = "ps";
    if (parsed.arguments.size() > 1)
        for (std::size_t index = 1; index < parsed.arguments.size(); ++index)
            command += " '" + parsed.arguments[index] + "'";
    else
        command += " -ef";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (!pipe) throw_last_errno("run ps");
    std::string output;
    char buffer[4096];
    while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
    if (::pclose(pipe) != 0) throw Error("ps failed");
    auto lines = split(output, '\n');
    if (lines.empty()) return 0;
    std::cout << lines.front() << "\n";
    std::size_t pid_column = 0;
    {
        std::size_t column = 0;
        for (const auto& field : split(lines.front(), ' ')) {
            if (field.empty()) continue;
            if (field == "PID") pid_column = column;
            ++column;
        }
    }
    for (std::size_t index = 1; index < lines.size(); ++index) {
        std::vector<std::string> fields;
        for (const auto& field : split(lines[index], ' '))
            if (!field.empty()) fields.push_back(field);
        if (fields.size() <= pid_column) continue;
        auto pid = parse_unsigned(fields[pid_column]);
        if (pid && std::find(pids.begin(), pids.end(), static_cast<pid_t>(*pid)) != pids.end())
            std::cout << lines[index] << "\n";
    }
    return 0;
}

int command_spec(const Globals&, const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed = parse_flags(words, start, {{{"--bundle", "-b"}, true}, {{"--rootless"}, false}});
    std::string bundle = parsed.value("bundle", ".");
    std::string path = bundle + "/config.json";
    if (path_exists(path)) throw Error("File " + path + " exists. Remove it first");
    json spec = default_spec(parsed.has("rootless"), ::geteuid(), ::getegid());
    write_file_atomic(path, spec.dump(1, '\t') + "\n", 0666, Durability::atomic);
    return 0;
}

int command_features(const Globals&, const std::vector<std::string>& words, std::size_t start) {
    parse_flags(words, start, {});
    std::cout << features_document().dump(4) << "\n";
    return 0;
}

// ---- run-bundle: berth's executor in the foreground, without a state directory ----

json mappings_json(const std::vector<rootless::IdMapping>& mappings) {
    auto out = json::array();
    for (const auto& mapping : mappings)
        out.push_back({{"containerID", mapping.container_id}, {"hostID", mapping.host_id}, {"size", mapping.size}});
    return out;
}

void add_rootless_maps(json& spec) {
    if (::geteuid() == 0) return;
    auto& linux_section = spec["linux"];
    auto& namespaces = linux_section["namespaces"];
    if (!namespaces.is_array()) namespaces = json::array();
    bool has_user = false;
    for (const auto& entry : namespaces)
        if (entry.is_object() && entry.value("type", "") == "user") has_user = true;
    if (!has_user) namespaces.push_back({{"type", "user"}});
    auto user = rootless::current_user_ids();
    if (!linux_section.contains("uidMappings") || linux_section["uidMappings"].empty())
        linux_section["uidMappings"] = mappings_json(rootless::rootless_id_mappings(user.uid, user.subuids));
    if (!linux_section.contains("gidMappings") || linux_section["gidMappings"].empty())
        linux_section["gidMappings"] = mappings_json(rootless::rootless_id_mappings(user.gid, user.subgids));
}

// berth-runtime run-bundle [--rootless-maps spec|auto] [--seccomp default|unconfined|PROFILE.json]
//                          [--seccomp-cache DIR] BUNDLE
// Runs BUNDLE/config.json in the foreground and exits with the container's status; a spec without
// linux.seccomp gets berth's default profile unless --seccomp says otherwise. --rootless-maps auto gives a spec's
// user namespace the caller's mappings (own id as root, then /etc/subuid and /etc/subgid ranges) when it has
// none, and adds a user namespace when an unprivileged caller's spec has none. Errors are berth's: one line,
// "Error: ...", with exit status 125 (126 and 127 when the command cannot be executed or is not found).
int run_bundle(const std::vector<std::string>& words, std::size_t start) {
    Parsed parsed =
        parse_flags(words, start, {{{"--rootless-maps"}, true}, {{"--seccomp"}, true}, {{"--seccomp-cache"}, true}});
    if (parsed.arguments.size() != 1)
        throw Error(
            "usage: berth-runtime run-bundle [--rootless-maps spec|auto] "
            "[--seccomp default|unconfined|PROFILE.json] [--seccomp-cache DIR] BUNDLE");
    std::string rootless_maps = parsed.value("rootless-maps", "spec");
    std::string seccomp = parsed.value("seccomp", "default");
    if (rootless_maps != "spec" && rootless_maps != "auto")
        throw Error("invalid --rootless-maps \"" + rootless_maps + "\": expected spec or auto");
    const std::string& bundle = parsed.arguments.front();
    ExecutorOptions options;
    options.seccomp_cache_dir = parsed.value("seccomp-cache");

    std::string path = bundle + "/config.json";
    auto spec = json::parse(read_file(path), nullptr, false);
    if (spec.is_discarded()) throw Error(path + ": malformed JSON");
    if (rootless_maps == "auto") add_rootless_maps(spec);

    std::optional<seccomp::Profile> profile;
    if (seccomp == "default") {
        options.default_seccomp = &seccomp::default_profile();
    } else if (seccomp != "unconfined") {
        profile = seccomp::parse_profile(read_file(seccomp), seccomp);
        options.default_seccomp = &*profile;
    }
    return run_container(spec, bundle, options);
}

int run_bundle_main(const std::vector<std::string>& words, std::size_t start) {
    try {
        return run_bundle(words, start);
    } catch (const Error& error) {
        std::cerr << "Error: " << error.what() << "\n";
        return error.exit_status();
    } catch (const std::exception& error) {
        std::cerr << "Error: " << error.what() << "\n";
        return exit_berth_error;
    }
}

constexpr const char* usage_text =
    "NAME:\n"
    "   berth-runtime - berth's OCI runtime, with runc's command line\n"
    "\n"
    "USAGE:\n"
    "   berth-runtime [global options] command [command options] [arguments...]\n"
    "\n"
    "COMMANDS:\n"
    "   create    create a container (its process waits for start)\n"
    "   start     start the process of a created container\n"
    "   state     output the state of a container\n"
    "   kill      send a signal to the container's first process (--all: every process)\n"
    "   delete    delete a stopped container (--force: kill it first)\n"
    "   run       create and start a container (--detach: do not wait)\n"
    "   list      list the containers (--format table|json, --quiet)\n"
    "   ps        the processes of a container (--format table|json)\n"
    "   spec      write a starting config.json (--bundle, --rootless)\n"
    "   features  the runtime-spec features document\n"
    "   exec      run another process in a running container\n"
    "   run-bundle  run a bundle in the foreground without a state directory (berth's)\n"
    "\n"
    "GLOBAL OPTIONS:\n"
    "   --root value        state directory (default: /run/berth-runtime, rootless "
    "$XDG_RUNTIME_DIR/berth-runtime)\n"
    "   --log value         log file (default: stderr)\n"
    "   --log-format value  text or json (default: text)\n"
    "   --debug             debug output in the log\n"
    "   --systemd-cgroup    accepted; cgroupfs is used\n"
    "   --rootless value    true, false or auto (default: auto)\n"
    "   --help, -h          this text\n"
    "   --version, -v       the version\n";

int dispatch(Globals& globals, const std::vector<std::string>& words) {
    Parsed parsed_globals = parse_flags(words, 1, global_flags);
    if (parsed_globals.has("help") && parsed_globals.arguments.empty()) {
        std::cout << usage_text;
        return 0;
    }
    if (parsed_globals.has("version")) {
        std::cout << "berth-runtime version " << berth_version << "\nspec: " << oci_version << "\n";
        return 0;
    }
    if (parsed_globals.has("log-format")) globals.log.format = parse_log_format(parsed_globals.value("log-format"));
    globals.log.path = parsed_globals.value("log");
    globals.log.debug = parsed_globals.has("debug");
    std::string rootless = parsed_globals.value("rootless", "auto");
    if (rootless == "auto")
        globals.rootless = ::geteuid() != 0;
    else
        globals.rootless = boolean_text(rootless, "rootless");
    globals.root = parsed_globals.value("root", default_root(::geteuid() != 0));
    if (parsed_globals.arguments.empty()) {
        std::cout << usage_text;
        return 0;
    }
    // Where the command's own words start.
    std::size_t start = words.size() - parsed_globals.arguments.size() + 1;
    const std::string& command = parsed_globals.arguments.front();
    globals.log.debug_message("berth-runtime " + command);
    using Command = int (*)(const Globals&, const std::vector<std::string>&, std::size_t);
    static const std::map<std::string, Command> commands = {
        {"create", command_create}, {"run", command_run},           {"start", command_start}, {"state", command_state},
        {"kill", command_kill},     {"delete", command_delete},     {"list", command_list},   {"ps", command_ps},
        {"spec", command_spec},     {"features", command_features}, {"exec", command_exec},
    };
    if (auto found = commands.find(command); found != commands.end()) return found->second(globals, words, start);
    if (command == "help") {
        std::cout << usage_text;
        return 0;
    }
    static const std::set<std::string> unsupported = {"checkpoint", "restore", "pause", "resume", "update", "events"};
    if (unsupported.count(command)) throw Error("berth-runtime: " + command + " is not supported");
    throw Error("No help topic for '" + command + "'");
}

}  // namespace

int runtime_cli_main(int argc, char** argv) {
    std::vector<std::string> words(argv, argv + argc);
    // The foreground executor keeps berth's own error format (berth's tests read it).
    for (std::size_t index = 1; index < words.size(); ++index) {
        if (words[index] == "run-bundle") return run_bundle_main(words, index + 1);
        if (words[index].empty() || words[index][0] != '-') break;
    }
    Globals globals;
    try {
        return dispatch(globals, words);
    } catch (const std::exception& error) {
        globals.log.error(error.what());
        return 1;
    }
}

}  // namespace berth::runtime
