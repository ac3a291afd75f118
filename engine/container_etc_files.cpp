#include "engine/container_etc_files.hpp"

#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::engine {
namespace {

bool is_loopback_nameserver(std::string_view address) {
    return address.starts_with("127.") || address == "::1" || address == "0:0:0:0:0:0:0:1";
}

}  // namespace

std::string container_hosts_file(const std::string& hostname, const std::string& name) {
    std::string text =
        "127.0.0.1\tlocalhost localhost.localdomain localhost4 localhost4.localdomain4\n"
        "::1\tlocalhost localhost.localdomain localhost6 localhost6.localdomain6\n";
    text += "127.0.1.1\t" + hostname;
    if (name != hostname) text += " " + name;
    return text + "\n";
}

std::string container_resolv_conf(std::string_view host_resolv_conf) {
    std::string text;
    bool nameserver = false;
    for (const auto& raw : split(host_resolv_conf, '\n')) {
        auto line = trim(raw);
        if (line.empty() || line.front() == '#' || line.front() == ';') continue;
        if (line.starts_with("nameserver")) {
            auto address = trim(line.substr(10));
            if (is_loopback_nameserver(address)) continue;
            nameserver = true;
        }
        text += std::string(line) + "\n";
    }
    if (!nameserver) text += "nameserver 8.8.8.8\nnameserver 8.8.4.4\n";
    return text;
}

std::vector<std::pair<std::string, std::string>> write_container_etc_files(const std::string& userdata,
                                                                           const std::string& hostname,
                                                                           const std::string& name) {
    std::string hosts = userdata + "/hosts";
    std::string hostname_file = userdata + "/hostname";
    std::string resolv = userdata + "/resolv.conf";
    write_file_atomic(hosts, container_hosts_file(hostname, name), 0644, Durability::atomic);
    write_file_atomic(hostname_file, hostname + "\n", 0644, Durability::atomic);
    write_file_atomic(resolv, container_resolv_conf(read_file_if_exists("/etc/resolv.conf").value_or("")), 0644,
                      Durability::atomic);
    return {{"/etc/hostname", hostname_file}, {"/etc/hosts", hosts}, {"/etc/resolv.conf", resolv}};
}

}  // namespace berth::engine
