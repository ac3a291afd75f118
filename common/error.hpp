// Errors that carry what failed, on which object, and why.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace berth {

// Exit statuses shared with Podman.
inline constexpr int exit_berth_error = 125;
inline constexpr int exit_cannot_invoke = 126;
inline constexpr int exit_not_found = 127;

// An error shown to the user as one line, "Error: <message>", with an exit status.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message, int exit_status = exit_berth_error)
        : std::runtime_error(message), exit_status_(exit_status) {}
    int exit_status() const noexcept { return exit_status_; }

private:
    int exit_status_;
};

// The text of an errno value, e.g. "No such file or directory".
std::string errno_text(int err);

// Throws Error("<what>: <strerror(err)>").
[[noreturn]] void throw_errno(std::string_view what, int err);

// Throws Error("<what>: <strerror(errno)>") for the current errno.
[[noreturn]] void throw_last_errno(std::string_view what);

}  // namespace berth
