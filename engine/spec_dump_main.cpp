// berth-spec-dump: prints the OCI config.json that `berth run` would give a container, for tests.
//
//   berth-spec-dump [CONTEXT OPTIONS] [RUN FLAGS] IMAGE-CONFIG.json [COMMAND [ARG...]]
//
// IMAGE-CONFIG.json is an image's config document. RUN FLAGS are those of `berth run` that the spec depends on
// (--entrypoint, -e, --env-file, -w, -u, --group-add, -h, -v, --mount, --tmpfs, --read-only, --read-only-tmpfs,
// --cap-add, --cap-drop, --privileged, --security-opt, --ulimit, --userns, --pid, --ipc, --uts, --network,
// -m/--memory, --cpus, --pids-limit, --init, -l/--label, --annotation, --rm, -t, -i, --name), as NAME VALUE or
// NAME=VALUE. CONTEXT OPTIONS describe the host: --rootfs DIR (default "."), --id HEX, --rootless[=true|false]
// (default: when not root), --uid-map C:H:S and --gid-map C:H:S (repeatable; rootless default: the caller's own
// id and subordinate ids), --host-uid N, --host-gid N, --etc-file DEST=SRC (repeatable), --init-binary PATH,
// --default-pids-limit N. Errors are one line, "Error: ...", with exit status 125.
#include <sys/resource.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "engine/runtime_spec.hpp"
#include "rootless/subordinate_ids.hpp"

namespace {

using berth::Error;
using namespace berth::engine;

const std::set<std::string> boolean_flags = {"--read-only", "--read-only-tmpfs", "--privileged", "--init", "--rm",
                                             "--tty",       "--interactive",     "--rootless"};
const std::map<std::string, std::string> short_flags = {
    {"-e", "--env"},    {"-w", "--workdir"}, {"-u", "--user"}, {"-h", "--hostname"},   {"-v", "--volume"},
    {"-m", "--memory"}, {"-l", "--label"},   {"-t", "--tty"},  {"-i", "--interactive"}};

uint64_t number(const std::string& flag, const std::string& text) {
    auto value = berth::parse_unsigned(text);
    if (!value) throw Error("invalid " + flag + " \"" + text + "\": not a number");
    return *value;
}

berth::rootless::IdMapping parse_mapping(const std::string& flag, const std::string& text) {
    auto parts = berth::split(text, ':');
    if (parts.size() != 3) throw Error("invalid " + flag + " \"" + text + "\": expected CONTAINER:HOST:SIZE");
    return {number(flag, parts[0]), number(flag, parts[1]), number(flag, parts[2])};
}

bool boolean_value(const std::string& flag, const std::optional<std::string>& value) {
    if (!value || *value == "true") return true;
    if (*value == "false") return false;
    throw Error("invalid " + flag + " \"" + *value + "\": expected true or false");
}

int run(int argc, char** argv) {
    RunOptions options;
    SpecContext context;
    context.rootfs = ".";
    context.container_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    context.host_uid = ::getuid();
    context.host_gid = ::getgid();
    context.nofile_hard_limit = current_hard_limit(RLIMIT_NOFILE);
    context.nproc_hard_limit = current_hard_limit(RLIMIT_NPROC);
    context.can_raise_limits = can_raise_resource_limits();
    std::optional<bool> rootless;
    std::vector<std::string> env_flags;
    std::vector<std::string> env_files;
    std::optional<std::string> config_path;
    auto environment = current_environment();

    for (int index = 1; index < argc; ++index) {
        std::string argument = argv[index];
        if (config_path) {
            options.command.push_back(argument);
            continue;
        }
        if (argument == "--") {
            if (++index >= argc) throw Error("missing the image config file after --");
            config_path = argv[index];
            continue;
        }
        if (argument.empty() || argument[0] != '-') {
            config_path = argument;
            continue;
        }
        std::optional<std::string> value;
        if (auto equals = argument.find('='); equals != std::string::npos && argument.rfind("--", 0) == 0) {
            value = argument.substr(equals + 1);
            argument.resize(equals);
        }
        if (auto found = short_flags.find(argument); found != short_flags.end()) argument = found->second;
        if (!boolean_flags.count(argument) && !value) {
            if (++index >= argc) throw Error("flag needs an argument: " + argument);
            value = argv[index];
        }
        const std::string& text = value ? *value : std::string();

        if (argument == "--rootfs")
            context.rootfs = text;
        else if (argument == "--id")
            context.container_id = text;
        else if (argument == "--rootless")
            rootless = boolean_value(argument, value);
        else if (argument == "--uid-map")
            context.uid_mappings.push_back(parse_mapping(argument, text));
        else if (argument == "--gid-map")
            context.gid_mappings.push_back(parse_mapping(argument, text));
        else if (argument == "--host-uid")
            context.host_uid = static_cast<uint32_t>(number(argument, text));
        else if (argument == "--host-gid")
            context.host_gid = static_cast<uint32_t>(number(argument, text));
        else if (argument == "--etc-file") {
            auto [destination, source] = parse_key_value(argument, text);
            context.etc_files.emplace_back(destination, source);
        } else if (argument == "--init-binary")
            context.init_binary = text;
        else if (argument == "--default-pids-limit")
            context.default_pids_limit = static_cast<int64_t>(number(argument, text));
        else if (argument == "--name")
            options.name = text;
        else if (argument == "--entrypoint")
            options.entrypoint = text;
        else if (argument == "--env")
            env_flags.push_back(text);
        else if (argument == "--env-file")
            env_files.push_back(text);
        else if (argument == "--workdir")
            options.workdir = text;
        else if (argument == "--user")
            options.user = text;
        else if (argument == "--group-add")
            options.group_add.push_back(text);
        else if (argument == "--hostname")
            options.hostname = text;
        else if (argument == "--volume")
            options.mounts.push_back(parse_volume(text));
        else if (argument == "--mount")
            options.mounts.push_back(parse_mount(text));
        else if (argument == "--tmpfs")
            options.mounts.push_back(parse_tmpfs(text));
        else if (argument == "--read-only")
            options.read_only = boolean_value(argument, value);
        else if (argument == "--read-only-tmpfs")
            options.read_only_tmpfs = boolean_value(argument, value);
        else if (argument == "--cap-add") {
            for (auto& name : parse_capabilities(text)) options.cap_add.push_back(name);
        } else if (argument == "--cap-drop") {
            for (auto& name : parse_capabilities(text)) options.cap_drop.push_back(name);
        } else if (argument == "--privileged")
            options.privileged = boolean_value(argument, value);
        else if (argument == "--security-opt")
            apply_security_opt(options, text);
        else if (argument == "--ulimit")
            options.ulimits.push_back(parse_ulimit(text));
        else if (argument == "--userns")
            options.userns = parse_userns(text);
        else if (argument == "--pid")
            options.pid_host = parse_namespace_host(argument, text);
        else if (argument == "--ipc")
            options.ipc_host = parse_namespace_host(argument, text);
        else if (argument == "--uts")
            options.uts_host = parse_namespace_host(argument, text);
        else if (argument == "--network")
            options.network = text;
        else if (argument == "--memory")
            options.memory = parse_memory(text);
        else if (argument == "--cpus")
            options.cpus = parse_cpus(text);
        else if (argument == "--pids-limit")
            options.pids_limit = parse_pids_limit(text);
        else if (argument == "--init")
            options.init = boolean_value(argument, value);
        else if (argument == "--label")
            options.labels.insert(parse_key_value(argument, text));
        else if (argument == "--annotation")
            options.annotations.insert(parse_key_value(argument, text));
        else if (argument == "--rm")
            options.rm = boolean_value(argument, value);
        else if (argument == "--tty")
            options.tty = boolean_value(argument, value);
        else if (argument == "--interactive")
            options.interactive = boolean_value(argument, value);
        else
            throw Error("unknown flag: " + argument);
    }
    if (!config_path) throw Error("usage: berth-spec-dump [OPTIONS] IMAGE-CONFIG.json [COMMAND [ARG...]]");

    context.rootless = rootless.value_or(::geteuid() != 0);
    if (context.rootless && (context.uid_mappings.empty() || context.gid_mappings.empty())) {
        auto user = berth::rootless::current_user_ids();
        if (context.uid_mappings.empty())
            context.uid_mappings = berth::rootless::rootless_id_mappings(user.uid, user.subuids);
        if (context.gid_mappings.empty())
            context.gid_mappings = berth::rootless::rootless_id_mappings(user.gid, user.subgids);
    }
    options.env = collect_env(env_files, env_flags, environment);

    std::string text = berth::read_file(*config_path);
    auto image_config = nlohmann::json::parse(text, nullptr, false);
    if (image_config.is_discarded()) throw Error("image config " + *config_path + ": malformed JSON");
    std::cout << build_runtime_spec(image_config, options, context).dump(2) << "\n";
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const Error& error) {
        std::cerr << "Error: " << error.what() << "\n";
        return error.exit_status();
    } catch (const std::exception& error) {
        std::cerr << "Error: " << error.what() << "\n";
        return berth::exit_berth_error;
    }
}
