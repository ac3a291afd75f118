// Passing a file descriptor over a Unix socket (one message with SCM_RIGHTS), as the container's first process
// sends its terminal to the runtime and the runtime sends it on to a console socket.
#pragma once

#include <string_view>

namespace berth::runtime {

// Sends `fd` with `payload` (at least one byte) as the message's data. Returns 0 or an errno value; allocates
// nothing, so a freshly cloned child may call it.
int send_fd(int socket, int fd, std::string_view payload) noexcept;

}  // namespace berth::runtime
