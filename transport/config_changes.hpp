// `--change` instructions (Dockerfile-style: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER,
// VOLUME, WORKDIR), applied to an image config's "config" object as Podman applies them on commit and import.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace berth::transport {

// Applies each change in order. A change is "INSTRUCTION VALUE" or "INSTRUCTION=VALUE" (the instruction in any
// case). CMD, ENTRYPOINT and VOLUME take a JSON array or, for CMD and ENTRYPOINT, a command line run by
// "/bin/sh -c"; ENV and LABEL take KEY=VALUE pairs (or KEY VALUE); EXPOSE takes ports, "/tcp" when no protocol is
// given. Throws Error with Podman's messages: `invalid change "X" - must be formatted as KEY VALUE`,
// `invalid change "X" - invalid instruction Y`.
void apply_config_changes(nlohmann::json& config, const std::vector<std::string>& changes);

}  // namespace berth::transport
