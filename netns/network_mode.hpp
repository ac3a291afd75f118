// The --network value: none, host, slirp4netns[:OPTIONS], pasta[:OPTIONS], or a bridge network by name, and the
// default for the caller (rootless: the preferred user-mode helper; root: the default bridge network).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace berth::netns {

enum class NetworkKind { none, host, slirp4netns, pasta, bridge };

struct NetworkMode {
    NetworkKind kind = NetworkKind::none;
    std::string bridge_name;           // the bridge network's name (kind bridge)
    std::vector<std::string> options;  // slirp4netns: KEY=VALUE; pasta: its own arguments
    friend bool operator==(const NetworkMode&, const NetworkMode&) = default;
};

// The name of root's default bridge network, and Podman's name for its default network, which is the same here.
inline constexpr std::string_view default_bridge_name = "berth";
inline constexpr std::string_view podman_default_name = "podman";

// Parses --network for a caller that is or is not root; "" (and "default", "private") is the default:
// `default_helper` ("pasta" or "slirp4netns", "" when neither is installed) when rootless, else the default bridge
// ("bridge" and "podman" name it too). Another name is a user-defined network (kind bridge), for root only; whether
// it exists is not checked here.
// Errors in Podman's words where it has them.
NetworkMode parse_network(std::string_view value, bool rootless, std::string_view default_helper);

// Whether the mode names a user-defined network (any name but the default network's; NAME:ip=...,alias=...),
// which the engine looks up and attaches with networks/.
bool is_user_network(const NetworkMode& mode);

// The mode as --network would give it again ("slirp4netns:allow_host_loopback=false", "berth").
std::string network_text(const NetworkMode& mode);

// What Podman's inspect calls NetworkMode: "none", "host", "slirp4netns", "pasta", "bridge".
std::string_view kind_name(NetworkKind kind);

// A slirp4netns option's value ("" when not given): option_value(mode, "allow_host_loopback").
std::string option_value(const NetworkMode& mode, std::string_view key);

// Whether the mode has its own network namespace with a way out (not none, not host).
bool has_outside_network(const NetworkMode& mode);

}  // namespace berth::netns
