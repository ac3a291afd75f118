#include "netns/network_mode.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace berth::netns {
namespace {

constexpr std::string_view slirp_option_keys[] = {"allow_host_loopback", "cidr",           "enable_ipv6", "mtu",
                                                  "outbound_addr",       "outbound_addr6", "port_handler"};

bool valid_network_name(std::string_view name) {
    if (name.empty()) return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
               c == '.';
    });
}

void check_slirp_option(const std::string& option) {
    auto equals = option.find('=');
    std::string key = option.substr(0, equals);
    if (equals == std::string::npos ||
        std::find(std::begin(slirp_option_keys), std::end(slirp_option_keys), key) == std::end(slirp_option_keys))
        throw Error("unknown option for slirp4netns: \"" + option + "\"");
    std::string value = option.substr(equals + 1);
    if ((key == "allow_host_loopback" || key == "enable_ipv6") && value != "true" && value != "false")
        throw Error("cannot parse " + key + " value \"" + value + "\": expected true or false");
    if (key == "port_handler" && value != "slirp4netns" && value != "rootlesskit")
        throw Error("unknown port_handler for slirp4netns: \"" + value + "\"");
    if (key == "mtu" && !parse_unsigned(value)) throw Error("invalid slirp4netns mtu \"" + value + "\"");
}

NetworkMode helper_mode(std::string_view name, std::string_view options) {
    NetworkMode mode;
    mode.kind = name == "pasta" ? NetworkKind::pasta : NetworkKind::slirp4netns;
    if (!options.empty()) mode.options = split(options, ',');
    if (mode.kind == NetworkKind::slirp4netns)
        for (const auto& option : mode.options) check_slirp_option(option);
    return mode;
}

NetworkMode bridge_mode(std::string_view name, bool rootless) {
    if (rootless)
        throw Error("bridge network \"" + std::string(name) +
                    "\": bridge networks need root here; rootless containers use slirp4netns or pasta");
    NetworkMode mode;
    mode.kind = NetworkKind::bridge;
    mode.bridge_name = std::string(name);
    return mode;
}

}  // namespace

NetworkMode parse_network(std::string_view value, bool rootless, std::string_view default_helper) {
    if (value.empty() || value == "default" || value == "private") {
        if (!rootless) return bridge_mode(default_bridge_name, false);
        if (default_helper.empty())
            throw Error(
                "rootless networking needs pasta or slirp4netns, and neither is installed "
                "(install passt or slirp4netns, or use --network none or host)");
        return helper_mode(default_helper, "");
    }
    if (value == "none") return {NetworkKind::none, "", {}};
    if (value == "host") return {NetworkKind::host, "", {}};
    auto colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    std::string_view options = colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1);
    // Debian 12's pasta, started by root, drops to nobody before it opens the container's namespaces.
    if (name == "pasta" && !rootless)
        throw Error("--network pasta is for rootless containers here: root uses a bridge network or slirp4netns");
    if (name == "slirp4netns" || name == "pasta") return helper_mode(name, options);
    if (name == "bridge" || name == default_bridge_name || name == podman_default_name)
        return bridge_mode(default_bridge_name, rootless);
    if (name == "container" || name == "ns")
        throw Error("network mode \"" + std::string(value) + "\" is not supported");
    if (!valid_network_name(name))
        throw Error("unable to find network with name or ID " + std::string(name) + ": network not found");
    if (rootless)
        throw Error("network " + std::string(name) +
                    ": user-defined networks need root for now; rootless containers use slirp4netns or pasta");
    NetworkMode mode;
    mode.kind = NetworkKind::bridge;
    mode.bridge_name = std::string(name);
    if (!options.empty()) mode.options = split(options, ',');
    return mode;
}

bool is_user_network(const NetworkMode& mode) {
    return mode.kind == NetworkKind::bridge && mode.bridge_name != default_bridge_name;
}

std::string network_text(const NetworkMode& mode) {
    std::string text(mode.kind == NetworkKind::bridge ? std::string_view(mode.bridge_name) : kind_name(mode.kind));
    for (size_t index = 0; index < mode.options.size(); ++index) text += (index == 0 ? ":" : ",") + mode.options[index];
    return text;
}

std::string_view kind_name(NetworkKind kind) {
    switch (kind) {
        case NetworkKind::none: return "none";
        case NetworkKind::host: return "host";
        case NetworkKind::slirp4netns: return "slirp4netns";
        case NetworkKind::pasta: return "pasta";
        case NetworkKind::bridge: return "bridge";
    }
    return "none";
}

std::string option_value(const NetworkMode& mode, std::string_view key) {
    std::string value;
    for (const auto& option : mode.options)
        if (option.size() > key.size() && option.compare(0, key.size(), key) == 0 && option[key.size()] == '=')
            value = option.substr(key.size() + 1);
    return value;
}

bool has_outside_network(const NetworkMode& mode) {
    return mode.kind == NetworkKind::slirp4netns || mode.kind == NetworkKind::pasta || mode.kind == NetworkKind::bridge;
}

}  // namespace berth::netns
