#include "netns/cni_bridge.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "netns/helper_process.hpp"
#include "netns/network_mode.hpp"

namespace berth::netns {
namespace {

constexpr const char* cni_version = "0.4.0";
constexpr const char* interface_name = "eth0";

std::string find_plugin(const std::string& type, const CniPaths& paths) {
    for (const auto& directory : split(paths.plugin_path, ':')) {
        std::string candidate = directory + "/" + type;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw Error("CNI plugin \"" + type + "\" not found in " + paths.plugin_path +
                " (install containernetworking-plugins)");
}

// Runs one plugin and returns its parsed stdout; Error with the plugin's own message when it fails.
nlohmann::json run_plugin(const std::string& command, const nlohmann::json& input, const std::string& id,
                          const std::string& netns, const CniPaths& paths) {
    std::string type = input.value("type", "");
    std::string output_path = paths.state_dir + "/" + id.substr(0, 12) + "-" + type + ".out";
    ::unlink(output_path.c_str());
    HelperCommand helper;
    helper.argv = {find_plugin(type, paths)};
    helper.env = {"CNI_COMMAND=" + command, "CNI_CONTAINERID=" + id, "CNI_NETNS=" + netns,
                  std::string("CNI_IFNAME=") + interface_name, "CNI_PATH=" + paths.plugin_path};
    helper.input = input.dump();
    helper.log_path = output_path;
    HelperProcess process(helper);
    int status = process.wait();
    std::string output = read_file_if_exists(output_path).value_or("");
    ::unlink(output_path.c_str());
    auto parsed = nlohmann::json::parse(output, nullptr, false);
    bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (failed || (parsed.is_object() && parsed.contains("code") && parsed.contains("msg"))) {
        std::string message = parsed.is_object() ? parsed.value("msg", "") : std::string(trim(output));
        if (parsed.is_object() && parsed.contains("details") && !parsed["details"].get<std::string>().empty())
            message += ": " + parsed["details"].get<std::string>();
        if (message.empty()) message = wait_status_text(status);
        throw Error("CNI plugin " + type + " " + command + ": " + message);
    }
    return parsed.is_discarded() ? nlohmann::json::object() : parsed;
}

nlohmann::json port_mappings_json(const std::vector<PortMapping>& ports) {
    auto mappings = nlohmann::json::array();
    for (const auto& mapping : ports)
        for (uint16_t offset = 0; offset < mapping.range; ++offset) {
            nlohmann::json entry = {{"hostPort", mapping.host_port + offset},
                                    {"containerPort", mapping.container_port + offset},
                                    {"protocol", mapping.protocol}};
            if (!mapping.host_ip.empty()) entry["hostIP"] = mapping.host_ip;
            mappings.push_back(entry);
        }
    return mappings;
}

}  // namespace

std::string bind_network_namespace(pid_t pid, const std::string& directory, const std::string& id) {
    make_directories(directory, 0755);
    std::string target = directory + "/" + id;
    {
        int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0) throw_last_errno("create " + target);
        ::close(fd);
    }
    std::string source = "/proc/" + std::to_string(pid) + "/ns/net";
    if (::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
        int error = errno;
        ::unlink(target.c_str());
        throw_errno("bind-mount the container's network namespace on " + target, error);
    }
    return target;
}

void unbind_network_namespace(const std::string& path) {
    if (path.empty()) return;
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
}

nlohmann::json default_network_config(const std::string& name, const CniPaths& paths) {
    nlohmann::json ipam = {{"type", "host-local"},
                           {"routes", {{{"dst", "0.0.0.0/0"}}}},
                           {"ranges", {{{{"subnet", default_bridge_subnet}, {"gateway", default_bridge_gateway}}}}},
                           {"dataDir", paths.state_dir + "/ipam"}};
    return {{"cniVersion", cni_version},
            {"name", name},
            {"plugins",
             {{{"type", "bridge"},
               {"bridge", default_bridge_device},
               {"isGateway", true},
               {"ipMasq", true},
               {"hairpinMode", true},
               {"ipam", ipam}},
              {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}},
              {{"type", "firewall"}, {"backend", "iptables"}}}}};
}

nlohmann::json load_network_config(const std::string& name, const CniPaths& paths) {
    std::string path = paths.config_dir + "/" + name + ".conflist";
    auto text = read_file_if_exists(path);
    if (!text) {
        if (name != default_bridge_name)
            throw Error("unable to find network with name or ID " + name + ": network not found");
        make_directories(paths.config_dir, 0755);
        write_file_atomic(path, default_network_config(name, paths).dump(2) + "\n", 0644);
        text = read_file(path);
    }
    auto config = nlohmann::json::parse(*text, nullptr, false);
    if (config.is_discarded() || !config.contains("plugins") || !config["plugins"].is_array())
        throw Error(path + ": not a CNI network configuration list");
    return config;
}

nlohmann::json plugin_input(const nlohmann::json& list, const nlohmann::json& plugin, const nlohmann::json& previous,
                            const std::vector<PortMapping>& ports) {
    nlohmann::json input = plugin;
    input["cniVersion"] = list.value("cniVersion", cni_version);
    input["name"] = list.value("name", "");
    if (!previous.is_null()) input["prevResult"] = previous;
    if (plugin.contains("capabilities") && plugin["capabilities"].value("portMappings", false))
        input["runtimeConfig"] = {{"portMappings", port_mappings_json(ports)}};
    return input;
}

std::string result_ipv4(const nlohmann::json& result) {
    if (!result.contains("ips") || !result["ips"].is_array()) return {};
    for (const auto& ip : result["ips"]) {
        std::string address = ip.value("address", "");
        if (address.find(':') != std::string::npos) continue;
        return address.substr(0, address.find('/'));
    }
    return {};
}

CniAttachment::CniAttachment(const std::string& network, const std::string& id, pid_t pid,
                             const std::vector<PortMapping>& ports, const CniPaths& paths)
    : paths_(paths), id_(id), ports_(ports) {
    config_ = load_network_config(network, paths_);
    make_directories(paths_.state_dir, 0755);
    netns_path_ = bind_network_namespace(pid, paths_.state_dir + "/netns", id);
    try {
        nlohmann::json previous;
        for (const auto& plugin : config_["plugins"]) {
            ++added_;
            previous = run_plugin("ADD", plugin_input(config_, plugin, previous, ports_), id_, netns_path_, paths_);
        }
        result_ = previous;
    } catch (...) {
        remove();
        throw;
    }
    address_ = result_ipv4(result_);
}

CniAttachment::~CniAttachment() { remove(); }

void CniAttachment::remove() noexcept {
    const auto& plugins = config_["plugins"];
    for (size_t index = added_; index-- > 0;) {
        try {
            run_plugin("DEL", plugin_input(config_, plugins[index], result_, ports_), id_, netns_path_, paths_);
        } catch (const std::exception& error) {
            log_warning(std::string("network teardown: ") + error.what());
        }
    }
    added_ = 0;
    unbind_network_namespace(netns_path_);
    netns_path_.clear();
}

}  // namespace berth::netns
