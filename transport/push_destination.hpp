// Where `berth push` puts an image: a destination as Podman takes it, "docker://host/repo:tag" or "host/repo:tag".
#pragma once

#include <string_view>

#include "registry/reference.hpp"

namespace berth::transport {

// The normalized registry reference a destination names (tag "latest" when it has neither tag nor digest).
// Throws Error("Invalid image name \"<text>\", unknown transport \"<name>\"") for a transport Podman does not know,
// Error("<text>: the <name> transport is not supported by push yet") for oci:, dir:, docker-archive: and the other
// transports berth does not write yet, and the reference parser's errors for a malformed name.
registry::Reference parse_push_destination(std::string_view text);

}  // namespace berth::transport
