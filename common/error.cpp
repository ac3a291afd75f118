#include "common/error.hpp"

#include <cerrno>
#include <cstring>

namespace berth {

std::string errno_text(int err) {
    char buffer[256];
    // GNU strerror_r returns a pointer that may or may not be the buffer.
    return ::strerror_r(err, buffer, sizeof buffer);
}

void throw_errno(std::string_view what, int err) { throw Error(std::string(what) + ": " + errno_text(err)); }

void throw_last_errno(std::string_view what) { throw_errno(what, errno); }

}  // namespace berth
