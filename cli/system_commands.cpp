// berth info, berth version.
#include <memory>

#include "cli/commands.hpp"
#include "cli/output/document.hpp"
#include "cli/output/yaml.hpp"
#include "common/platform.hpp"
#include "common/version.hpp"
#include "engine/host_info.hpp"

namespace berth::cli {
namespace {

struct FormatOption {
    std::string format;
};

// info's document as templates see it: Podman's Go field names (`{{.Store.GraphDriverName}}`).
nlohmann::json info_fields(const nlohmann::json& document) {
    static const std::map<std::string, std::string> renames = {{"cgroupVersion", "CgroupsVersion"},
                                                               {"cpus", "CPUs"},
                                                               {"idMappings", "IDMappings"},
                                                               {"gidmap", "GIDMap"},
                                                               {"uidmap", "UIDMap"},
                                                               {"os", "OS"},
                                                               {"idMapHelpers", "IDMapHelpers"},
                                                               {"subordinateIds", "SubordinateIDs"},
                                                               {"uidRanges", "UIDRanges"},
                                                               {"gidRanges", "GIDRanges"},
                                                               {"uid", "UID"},
                                                               {"gid", "GID"},
                                                               {"subuidFile", "SubUIDFile"},
                                                               {"subgidFile", "SubGIDFile"},
                                                               {"slirp4netns", "Slirp4NetNS"},
                                                               {"ociRuntime", "OCIRuntime"}};
    return go_field_names(document, renames,
                          {"helpers", "graphDriverRejected", "registries", "graphStatus", "graphOptions"});
}

const TemplateSchema info_schema{"info",
                                 "*define.Info",
                                 {{"Host", "*define.HostInfo"},
                                  {"Store", "*define.StoreInfo"},
                                  {"Version", "define.Version"},
                                  {"Helpers", "map[string]interface {}"},
                                  {"GraphDriverRejected", "map[string]string"},
                                  {"Registries", "map[string]interface {}"},
                                  {"GraphOptions", "map[string]interface {}"},
                                  {"GraphStatus", "map[string]string"}},
                                 {},
                                 {}};

const TemplateSchema version_schema{"version", "*define.Version", {{"Client", "*define.Version"}}, {}, {}};

int run_info(const FormatOption& options, const GlobalOptions& globals) {
    engine::InfoRequest request{globals.root_override(), globals.runroot_override(), globals.driver_override()};
    print_document(engine::collect_host_info(request), options.format, to_yaml, info_schema, info_fields);
    return 0;
}

nlohmann::json version_document() {
    auto platform = host_platform();
    return {{"Client",
             {{"Version", berth_version},
              {"GitCommit", berth_git_commit},
              {"Compiler", berth_compiler},
              {"OsArch", platform.os + "/" + platform.architecture}}}};
}

std::string version_text(const nlohmann::json& document) {
    const auto& client = document["Client"];
    return "Version:      " + client["Version"].get<std::string>() + "\n" +
           "Git Commit:   " + client["GitCommit"].get<std::string>() + "\n" +
           "Compiler:     " + client["Compiler"].get<std::string>() + "\n" +
           "OS/Arch:      " + client["OsArch"].get<std::string>() + "\n";
}

void add_format_option(CLI::App& command, FormatOption& options) {
    command.add_option("-f,--format", options.format, "Change the output format to JSON or a Go template");
}

}  // namespace

void add_system_commands(CommandTree& tree, const GlobalOptions& globals) {
    auto info_options = std::make_shared<FormatOption>();
    CommandHelp info_help{
        "[options]",
        "Display information about the host as berth sees it: whether berth runs rootless, the user's\n"
        "subordinate id ranges and whether newuidmap/newgidmap can use them, which rootfs driver would be\n"
        "chosen and why, the cgroup version and whether resource limits can be applied, which rootless\n"
        "network helper is installed, and the storage paths.",
        {"berth info", "berth info --format json", "berth info --format '{{.Store.GraphDriverName}}'"},
        ValueKind::none};
    auto& info = tree.add_command(tree.root(), "info", "Display berth system information", std::move(info_help),
                                  [info_options, &globals] { return run_info(*info_options, globals); });
    add_format_option(info, *info_options);

    auto version_options = std::make_shared<FormatOption>();
    CommandHelp version_help{"[options]",
                             "Display the berth version information.",
                             {"berth version", "berth version --format json"},
                             ValueKind::none};
    auto& version = tree.add_command(
        tree.root(), "version", "Display the berth version information", std::move(version_help), [version_options] {
            print_document(version_document(), version_options->format, version_text, version_schema);
            return 0;
        });
    add_format_option(version, *version_options);
}

}  // namespace berth::cli
