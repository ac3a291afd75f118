// berth-runtime: berth's OCI executor on its own, for tests and for running a bundle by hand.
//
//   berth-runtime run [--rootless-maps spec|auto] [--seccomp default|unconfined|PROFILE.json]
//                     [--seccomp-cache DIR] BUNDLE
//
// Runs BUNDLE/config.json in the foreground and exits with the container's status. A spec without
// linux.seccomp gets berth's default profile (--seccomp says otherwise). --rootless-maps auto gives a spec's
// user namespace the caller's mappings (own id as root, then /etc/subuid and /etc/subgid ranges) when it has
// none, and adds a user namespace when an unprivileged caller's spec has none. Errors are one line,
// "Error: ...", with exit status 125 (126 and 127 when the command cannot be executed or is not found).
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/files.hpp"
#include "rootless/subordinate_ids.hpp"
#include "runtime/executor.hpp"
#include "runtime/seccomp_filter.hpp"

namespace {

using berth::Error;
namespace runtime = berth::runtime;

constexpr const char* usage =
    "usage: berth-runtime run [--rootless-maps spec|auto] [--seccomp default|unconfined|PROFILE.json] "
    "[--seccomp-cache DIR] BUNDLE";

nlohmann::json mappings_json(const std::vector<berth::rootless::IdMapping>& mappings) {
    auto out = nlohmann::json::array();
    for (const auto& mapping : mappings)
        out.push_back({{"containerID", mapping.container_id}, {"hostID", mapping.host_id}, {"size", mapping.size}});
    return out;
}

void add_rootless_maps(nlohmann::json& spec) {
    if (::geteuid() == 0) return;
    auto& linux_section = spec["linux"];
    auto& namespaces = linux_section["namespaces"];
    if (!namespaces.is_array()) namespaces = nlohmann::json::array();
    bool has_user = false;
    for (const auto& entry : namespaces)
        if (entry.is_object() && entry.value("type", "") == "user") has_user = true;
    if (!has_user) namespaces.push_back({{"type", "user"}});
    auto user = berth::rootless::current_user_ids();
    if (!linux_section.contains("uidMappings") || linux_section["uidMappings"].empty())
        linux_section["uidMappings"] = mappings_json(berth::rootless::rootless_id_mappings(user.uid, user.subuids));
    if (!linux_section.contains("gidMappings") || linux_section["gidMappings"].empty())
        linux_section["gidMappings"] = mappings_json(berth::rootless::rootless_id_mappings(user.gid, user.subgids));
}

int run(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) != "run") throw Error(usage);
    std::string rootless_maps = "spec";
    std::string seccomp = "default";
    runtime::ExecutorOptions options;
    std::optional<std::string> bundle;
    for (int index = 2; index < argc; ++index) {
        std::string argument = argv[index];
        auto value = [&]() -> std::string {
            if (++index >= argc) throw Error("flag needs an argument: " + argument);
            return argv[index];
        };
        if (argument == "--rootless-maps")
            rootless_maps = value();
        else if (argument == "--seccomp")
            seccomp = value();
        else if (argument == "--seccomp-cache")
            options.seccomp_cache_dir = value();
        else if (!argument.empty() && argument[0] == '-')
            throw Error("unknown flag: " + argument);
        else if (bundle)
            throw Error(usage);
        else
            bundle = argument;
    }
    if (!bundle) throw Error(usage);
    if (rootless_maps != "spec" && rootless_maps != "auto")
        throw Error("invalid --rootless-maps \"" + rootless_maps + "\": expected spec or auto");

    std::string path = *bundle + "/config.json";
    auto spec = nlohmann::json::parse(berth::read_file(path), nullptr, false);
    if (spec.is_discarded()) throw Error(path + ": malformed JSON");
    if (rootless_maps == "auto") add_rootless_maps(spec);

    std::optional<runtime::seccomp::Profile> profile;
    if (seccomp == "default")
        options.default_seccomp = &runtime::seccomp::default_profile();
    else if (seccomp != "unconfined") {
        profile = runtime::seccomp::parse_profile(berth::read_file(seccomp), seccomp);
        options.default_seccomp = &*profile;
    }
    return runtime::run_container(spec, *bundle, options);
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
