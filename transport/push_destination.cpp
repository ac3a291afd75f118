#include "transport/push_destination.hpp"

#include <array>
#include <string>

#include "common/error.hpp"

namespace berth::transport {
namespace {

// The transports of containers/image other than docker://, named as Podman names them.
constexpr std::array<std::string_view, 7> other_transports = {
    "containers-storage", "dir", "docker-archive", "docker-daemon", "oci", "oci-archive", "ostree",
};

bool is_other_transport(std::string_view name) {
    for (std::string_view known : other_transports) {
        if (name == known) return true;
    }
    return false;
}

}  // namespace

registry::Reference parse_push_destination(std::string_view text) {
    std::string_view name = text;
    if (size_t scheme = text.find("://"); scheme != std::string_view::npos) {
        std::string_view transport = text.substr(0, scheme);
        if (transport != "docker") {
            if (is_other_transport(transport))
                throw Error(std::string(text) + ": the " + std::string(transport) +
                            " transport is not supported by push yet");
            throw Error("Invalid image name \"" + std::string(text) + "\", unknown transport \"" +
                        std::string(transport) + "\"");
        }
        name = text.substr(scheme + 3);
    } else if (size_t colon = text.find(':'); colon != std::string_view::npos) {
        std::string_view prefix = text.substr(0, colon);
        if (prefix.find('/') == std::string_view::npos && is_other_transport(prefix))
            throw Error(std::string(text) + ": the " + std::string(prefix) + " transport is not supported by push yet");
    }
    return registry::normalize_reference(registry::parse_reference(name));
}

}  // namespace berth::transport
