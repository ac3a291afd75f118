#include "systemd/notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth::systemd {

bool notify_service_manager(std::string_view state) {
    const char* variable = std::getenv("NOTIFY_SOCKET");
    if (!variable || !*variable) return false;
    std::string path = variable;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) throw Error("NOTIFY_SOCKET " + path + ": the path is too long");
    std::memcpy(address.sun_path, path.data(), path.size());
    if (path.front() == '@') address.sun_path[0] = '\0';  // abstract namespace
    socklen_t length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) throw_last_errno("notify systemd: socket");
    if (::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&address),
                 length) < 0)
        throw_last_errno("notify systemd through " + path);
    return true;
}

}  // namespace berth::systemd
