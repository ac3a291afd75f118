// sd_notify(3) without libsystemd: one datagram of NAME=VALUE lines to the socket systemd names in $NOTIFY_SOCKET.
#pragma once

#include <string_view>

namespace berth::systemd {

// Sends `state` ("MAINPID=42\nREADY=1") to $NOTIFY_SOCKET (a path, or an abstract name starting with '@'). Returns
// false when the variable is not set; throws Error when it is set but the message cannot be sent.
bool notify_service_manager(std::string_view state);

}  // namespace berth::systemd
