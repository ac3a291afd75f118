#include "netns/tun_device.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth::netns {

void check_tun_device(std::string_view helper) {
    UniqueFd fd(::open("/dev/net/tun", O_RDWR | O_CLOEXEC));
    if (fd) return;
    int error = errno;
    std::string fix = error == ENOENT
                          ? "load the tun module (modprobe tun)"
                          : "make it usable by users, as most distributions ship it: chmod 0666 /dev/net/tun";
    throw Error(std::string(helper) + " needs /dev/net/tun: " + errno_text(error) + " (" + fix + ")");
}

}  // namespace berth::netns
