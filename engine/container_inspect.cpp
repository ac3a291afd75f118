#include "engine/container_inspect.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "common/files.hpp"
#include "networks/network_status.hpp"
#include "volumes/volume_store.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

json spec_of(const storage::ContainerPaths& paths) {
    auto text = read_file_if_exists(paths.spec);
    if (!text) return json::object();
    auto spec = json::parse(*text, nullptr, false);
    return spec.is_discarded() ? json::object() : spec;
}

json state_json(const storage::ContainerRecord& record) {
    bool paused = record.state == storage::ContainerState::paused;
    bool running = record.state == storage::ContainerState::running || paused;
    return {{"OciVersion", "1.0.2-dev"},
            {"Status", storage::state_name(record.state)},
            {"Running", running},
            {"Paused", paused},
            {"Restarting", false},
            {"OOMKilled", false},
            {"Dead", false},
            {"Pid", running ? record.pid : 0},
            {"ConmonPid", running ? record.monitor_pid : 0},
            {"ExitCode", record.exit_code},
            {"Error", record.error},
            {"StartedAt", format_time_ns(record.started_ns)},
            {"FinishedAt", format_time_ns(record.finished_ns)}};
}

// The flags' mounts: binds of host paths, and of volumes' data directories (Type "volume", with the Name).
json mounts_json(const json& spec, const std::string& graph_root) {
    volumes::VolumeStore volume_store(graph_root);
    json mounts = json::array();
    for (const auto& mount : spec.value("mounts", json::array())) {
        std::string type = mount.value("type", "");
        if (type != "bind") continue;
        std::string destination = mount.value("destination", "");
        if (destination.starts_with("/etc/") || destination == "/run/berth-init" || destination.starts_with("/dev") ||
            destination.starts_with("/sys"))
            continue;
        auto options = mount.value("options", std::vector<std::string>{});
        bool read_only = std::find(options.begin(), options.end(), "ro") != options.end();
        std::string source = mount.value("source", "");
        auto volume = volume_store.volume_of_data_path(source);
        json entry = {{"Type", volume ? "volume" : "bind"}};
        if (volume) entry["Name"] = *volume;
        entry.update(json{{"Source", source},
                          {"Destination", destination},
                          {"Driver", volume ? "local" : ""},
                          {"Mode", ""},
                          {"Options", options},
                          {"RW", !read_only},
                          {"Propagation", "rprivate"}});
        mounts.push_back(std::move(entry));
    }
    return mounts;
}

json config_json(const storage::ContainerRecord& record, const json& spec) {
    const json process = spec.value("process", json::object());
    const json user = process.value("user", json::object());
    std::string user_text = std::to_string(user.value("uid", 0)) + ":" + std::to_string(user.value("gid", 0));
    return {{"Hostname", spec.value("hostname", "")},
            {"User", user_text},
            {"Env", process.value("env", json::array())},
            {"Cmd", record.command},
            {"Image", record.image_name},
            {"Labels", record.labels},
            {"WorkingDir", process.value("cwd", "/")},
            {"Tty", record.tty},
            {"OpenStdin", record.interactive},
            {"StopSignal", record.stop_signal},
            {"Annotations", spec.value("annotations", json::object())}};
}

// Podman's NetworkMode: "none", "host", "slirp4netns", "pasta" or "bridge".
std::string network_mode_name(const storage::ContainerRecord& record) {
    if (record.network.empty()) return "none";
    auto name = record.network.substr(0, record.network.find(':'));
    return name == "none" || name == "host" || name == "slirp4netns" || name == "pasta" ? name : "bridge";
}

json port_bindings_json(const storage::ContainerRecord& record);

// Podman's NetworkSettings: the published ports and, on user-defined networks, what the container has there.
json network_settings_json(const storage::ContainerRecord& record, const std::string& graph_root) {
    json settings = {{"Ports", port_bindings_json(record)}};
    auto networks = networks::networks_settings(graph_root, record);
    if (!networks.is_null()) settings["Networks"] = networks;
    return settings;
}

// {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}, as Podman's NetworkSettings.Ports and HostConfig.PortBindings.
json port_bindings_json(const storage::ContainerRecord& record) {
    json bindings = json::object();
    for (const auto& port : record.ports)
        for (uint16_t offset = 0; offset < port.range; ++offset)
            bindings[std::to_string(port.container_port + offset) + "/" + port.protocol].push_back(
                {{"HostIp", port.host_ip}, {"HostPort", std::to_string(port.host_port + offset)}});
    return bindings;
}

json host_config_json(const storage::ContainerRecord& record, const json& spec) {
    const json resources = spec.value("linux", json::object()).value("resources", json::object());
    return {{"AutoRemove", record.remove_after_exit},
            {"Memory", resources.value("memory", json::object()).value("limit", 0)},
            {"PidsLimit", resources.value("pids", json::object()).value("limit", 0)},
            {"ReadonlyRootfs", spec.value("root", json::object()).value("readonly", false)},
            {"SecurityOpt",
             record.seccomp_profile.empty() ? json::array() : json::array({"seccomp=" + record.seccomp_profile})},
            {"CapAdd", json::array()},
            {"CapDrop", json::array()},
            {"NetworkMode", network_mode_name(record)},
            {"PortBindings", port_bindings_json(record)}};
}

}  // namespace

std::string format_time_ns(int64_t unix_ns) {
    if (unix_ns == 0) return "0001-01-01T00:00:00Z";
    time_t seconds = static_cast<time_t>(unix_ns / 1000000000);
    tm parts{};
    ::gmtime_r(&seconds, &parts);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", parts.tm_year + 1900, parts.tm_mon + 1,
                  parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                  static_cast<long long>(unix_ns % 1000000000));
    return text;
}

json inspect_container(const std::string& graph_root, const storage::ContainerRecord& record) {
    storage::ContainerStore store(graph_root);
    auto paths = store.paths_of(record.id);
    json spec = spec_of(paths);
    const auto& args = record.command;
    return {{"Id", record.id},
            {"Created", format_time_ns(record.created_ns)},
            {"Path", args.empty() ? "" : args.front()},
            {"Args", args.size() > 1 ? json(std::vector<std::string>(args.begin() + 1, args.end())) : json::array()},
            {"State", state_json(record)},
            {"Image", record.image_id.starts_with("sha256:") ? record.image_id.substr(7) : record.image_id},
            {"ImageName", record.image_name},
            {"Rootfs", ""},
            {"ResolvConfPath", paths.userdata + "/resolv.conf"},
            {"HostnamePath", paths.userdata + "/hostname"},
            {"HostsPath", paths.userdata + "/hosts"},
            {"OCIRuntime", "berth"},
            {"OCIConfigPath", paths.spec},
            {"Name", record.name},
            {"RestartCount", record.restart_count},
            {"Driver", record.driver},
            {"Mounts", mounts_json(spec, graph_root)},
            {"Config", config_json(record, spec)},
            {"HostConfig", host_config_json(record, spec)},
            {"NetworkSettings", network_settings_json(record, graph_root)},
            {"GraphDriver",
             {{"Name", record.driver},
              {"Data", {{"UpperDir", paths.upper}, {"WorkDir", paths.work}, {"MergedDir", paths.rootfs}}}}},
            {"OCISpec", spec}};
}

}  // namespace berth::engine
