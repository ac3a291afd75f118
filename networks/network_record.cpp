#include "networks/network_record.hpp"

#include <time.h>

#include <cstdio>

#include "common/error.hpp"

namespace berth::networks {
namespace {

bool is_alphanumeric(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::map<std::string, std::string> string_map(const nlohmann::json& document, const char* key,
                                              const std::string& source) {
    std::map<std::string, std::string> values;
    if (!document.contains(key) || document[key].is_null()) return values;
    if (!document[key].is_object()) throw Error(source + ": \"" + key + "\" is not an object");
    for (const auto& [name, value] : document[key].items())
        values[name] = value.is_string() ? value.get<std::string>() : value.dump();
    return values;
}

NetworkSubnet subnet_from_json(const nlohmann::json& entry, const std::string& source) {
    if (!entry.is_object() || !entry.contains("subnet") || !entry["subnet"].is_string())
        throw Error(source + ": a subnet without \"subnet\"");
    NetworkSubnet subnet;
    subnet.subnet = entry["subnet"].get<std::string>();
    subnet.gateway = entry.value("gateway", "");
    if (entry.contains("lease_range") && entry["lease_range"].is_object()) {
        subnet.lease_start = entry["lease_range"].value("start_ip", "");
        subnet.lease_end = entry["lease_range"].value("end_ip", "");
    }
    return subnet;
}

}  // namespace

nlohmann::ordered_json network_to_json(const Network& network) {
    nlohmann::ordered_json document = {{"name", network.name},
                                       {"id", network.id},
                                       {"driver", network.driver},
                                       {"network_interface", network.network_interface},
                                       {"created", network.created}};
    auto subnets = nlohmann::ordered_json::array();
    for (const auto& subnet : network.subnets) {
        nlohmann::ordered_json entry = {{"subnet", subnet.subnet}};
        if (!subnet.gateway.empty()) entry["gateway"] = subnet.gateway;
        if (!subnet.lease_start.empty() || !subnet.lease_end.empty()) {
            nlohmann::ordered_json range = nlohmann::ordered_json::object();
            if (!subnet.lease_start.empty()) range["start_ip"] = subnet.lease_start;
            if (!subnet.lease_end.empty()) range["end_ip"] = subnet.lease_end;
            entry["lease_range"] = range;
        }
        subnets.push_back(entry);
    }
    if (!subnets.empty()) document["subnets"] = subnets;
    document["ipv6_enabled"] = network.ipv6_enabled;
    document["internal"] = network.internal;
    document["dns_enabled"] = network.dns_enabled;
    if (!network.labels.empty()) document["labels"] = network.labels;
    if (!network.options.empty()) document["options"] = network.options;
    document["ipam_options"] = {{"driver", network.ipam_driver}};
    return document;
}

Network network_from_json(const nlohmann::json& document, const std::string& source) {
    if (!document.is_object() || !document.contains("name") || !document["name"].is_string())
        throw Error(source + ": not a network definition");
    Network network;
    network.name = document["name"].get<std::string>();
    network.id = document.value("id", "");
    network.driver = document.value("driver", "bridge");
    network.network_interface = document.value("network_interface", "");
    network.created = document.value("created", "");
    if (document.contains("subnets") && document["subnets"].is_array())
        for (const auto& entry : document["subnets"]) network.subnets.push_back(subnet_from_json(entry, source));
    network.ipv6_enabled = document.value("ipv6_enabled", false);
    network.internal = document.value("internal", false);
    network.dns_enabled = document.value("dns_enabled", false);
    network.labels = string_map(document, "labels", source);
    network.options = string_map(document, "options", source);
    network.ipam_driver = "";
    if (document.contains("ipam_options") && document["ipam_options"].is_object())
        network.ipam_driver = document["ipam_options"].value("driver", "");
    return network;
}

Network default_network() {
    Network network;
    network.name = default_network_name;
    // Podman's id of its default network: the same on every host.
    network.id = "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9";
    network.network_interface = "berth0";
    network.created = created_now();
    network.subnets = {{"10.88.0.0/16", "10.88.0.1", "", ""}};
    network.dns_enabled = false;
    return network;
}

bool valid_network_name(const std::string& name) {
    if (name.empty() || name.size() > 255 || !is_alphanumeric(name.front())) return false;
    for (char c : name)
        if (!is_alphanumeric(c) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

std::string created_now() {
    timespec now{};
    ::clock_gettime(CLOCK_REALTIME, &now);
    tm parts{};
    ::gmtime_r(&now.tv_sec, &parts);
    char date[32];
    std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &parts);
    char fraction[16];
    std::snprintf(fraction, sizeof fraction, ".%09ld", now.tv_nsec);
    std::string digits = fraction;
    while (digits.size() > 1 && digits.back() == '0') digits.pop_back();  // Go drops trailing zeros
    if (digits == ".") digits.clear();
    return std::string(date) + digits + "Z";
}

}  // namespace berth::networks
