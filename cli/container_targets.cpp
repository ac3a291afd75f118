#include "cli/container_targets.hpp"

#include <cstdio>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "engine/container_start.hpp"

namespace berth::cli {
namespace {

using storage::ContainerRecord;

Error missing_container(const std::string& name, const TargetRules& rules) {
    return Error("no container with name or ID \"" + name + "\" found: no such container", rules.missing_status);
}

std::string read_cidfile(const std::string& path) {
    auto text = read_file_if_exists(path);
    if (!text) throw Error("reading CIDFile: open " + path + ": no such file or directory");
    return std::string(trim(*text));
}

void check_combination(const TargetOptions& options) {
    if (options.all && options.latest) throw Error("--all and --latest cannot be used together");
    if ((options.all || options.latest) && !options.names.empty())
        throw Error(std::string("no arguments are needed with ") + (options.all ? "--all" : "--latest"));
}

}  // namespace

std::vector<Target> resolve_targets(const std::string& graph_root, const TargetOptions& options,
                                    const TargetRules& rules) {
    check_combination(options);
    storage::ContainerStore store(graph_root);
    std::vector<Target> targets;
    if (options.all || options.latest) {
        auto records = store.list();
        if (options.latest) {
            if (records.empty()) throw Error("no such container", rules.missing_status);
            targets.push_back({engine::reconciled(records.back()), records.back().id});
            return targets;
        }
        for (auto& record : records) {
            auto current = engine::reconciled(std::move(record));
            if (rules.all_takes && !rules.all_takes(current)) continue;
            targets.push_back({current, current.id});
        }
        return targets;
    }
    if (options.names.empty() && options.cidfiles.empty()) throw Error(rules.none_given_message);
    for (const auto& path : options.cidfiles) {
        std::string id = read_cidfile(path);  // a missing file is an error even with --ignore, as in Podman
        auto found = store.find(id);
        if (!found) {
            if (options.ignore) continue;
            throw missing_container(id, rules);
        }
        targets.push_back({engine::reconciled(*found), found->id});
    }
    for (const auto& name : options.names) {
        auto found = store.find(name);
        if (!found) {
            if (options.ignore) continue;
            throw missing_container(name, rules);
        }
        targets.push_back({engine::reconciled(*found), name});
    }
    return targets;
}

int for_each_target(const std::vector<Target>& targets, const std::function<void(const Target&)>& action,
                    bool print_shown) {
    int status = 0;
    for (const auto& target : targets) {
        try {
            action(target);
            if (print_shown) std::printf("%s\n", target.shown.c_str());
            std::fflush(stdout);
        } catch (const Error& error) {
            std::fflush(stdout);
            std::fprintf(stderr, "Error: %s\n", error.what());
            if (status == 0 || error.exit_status() > status) status = error.exit_status();
        }
    }
    return status;
}

void add_target_flags(CLI::App& command, TargetOptions& options, const TargetFlagSet& set) {
    command.add_option("container", options.names, "Containers");
    if (set.all) command.add_flag("-a,--all", options.all, set.all_help);
    if (set.latest) command.add_flag("-l,--latest", options.latest, "Act on the latest container berth is aware of");
    if (set.cidfile) command.add_option("--cidfile", options.cidfiles, "Read the container ID from the file");
    if (set.ignore)
        command.add_flag("-i,--ignore", options.ignore, "Ignore errors when a specified container is missing");
}

}  // namespace berth::cli
