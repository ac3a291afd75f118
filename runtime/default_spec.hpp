// The documents berth-runtime writes without a bundle: `spec` (a starting config.json, runc's) and `features`
// (the runtime-spec features document: what this runtime supports).
#pragma once

#include <sys/types.h>

#include <nlohmann/json.hpp>

namespace berth::runtime {

// runc's default config.json: sh on a terminal, a read-only rootfs "rootfs", a small capability set. With
// `rootless`, a user namespace mapping `uid` and `gid` to root, no network namespace, /sys bound from the host.
nlohmann::json default_spec(bool rootless, uid_t uid, gid_t gid);

// The features document (runtime-spec features.md).
nlohmann::json features_document();

}  // namespace berth::runtime
