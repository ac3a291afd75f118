// The spec's hooks (prestart, createRuntime, createContainer, startContainer, poststart, poststop): each runs
// with the container's state document on its standard input, as the runtime spec says.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace berth::runtime {

// Runs hooks[kind] in order ({path, args, env, timeout}); throws Error naming the hook that failed, exited with a
// status other than 0, or ran past its timeout (then killed).
void run_hooks(const nlohmann::json& hooks, const std::string& kind, const nlohmann::json& state);

}  // namespace berth::runtime
