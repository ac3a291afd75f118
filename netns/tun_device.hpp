// /dev/net/tun, which slirp4netns and pasta open inside the container's user namespace to create its interface.
#pragma once

#include <string_view>

namespace berth::netns {

// Throws Error, one line naming /dev/net/tun and the fix, when the caller cannot open it read-write.
void check_tun_device(std::string_view helper);

}  // namespace berth::netns
