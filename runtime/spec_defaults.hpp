// Values of the runtime spec that both the runtime and the engine's spec builder use.
#pragma once

namespace berth::runtime {

// The runtime-spec version berth writes and reports (what Debian's specs package and its schema describe).
inline constexpr const char* oci_version = "1.0.2-dev";
// PATH for a process whose env has none, to find a command without '/'.
inline constexpr const char* default_path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

}  // namespace berth::runtime
