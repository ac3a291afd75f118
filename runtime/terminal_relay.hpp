// The runtime's side of a container's terminal (process.terminal): the container allocates its pseudo-terminal
// in its own devpts and sends the master here; the runtime puts the caller's terminal in raw mode, gives the
// pseudo-terminal the caller's window size (again on every SIGWINCH) and relays the caller's stdin to it and
// its output to the caller's stdout until the container exits.
#pragma once

#include <sys/ioctl.h>
#include <sys/types.h>
#include <termios.h>

#include <optional>

namespace berth::runtime {

// Puts a terminal in raw mode (cfmakeraw) for the object's lifetime and restores its settings when it goes
// away; does nothing when `fd` is not a terminal.
class RawMode {
public:
    explicit RawMode(int fd);  // throws Error ("put the terminal in raw mode: ...")
    RawMode(const RawMode&) = delete;
    RawMode& operator=(const RawMode&) = delete;
    ~RawMode();
    bool active() const { return active_; }

private:
    int fd_ = -1;
    termios saved_{};
    bool active_ = false;
};

// Copies the window size of the terminal `from` to the terminal `to`; false when `from` is not a terminal.
bool copy_window_size(int from, int to) noexcept;

struct TerminalRelayOptions {
    int input = 0;   // the caller's stdin
    int output = 1;  // the caller's stdout
    // The window size when neither input nor output is a terminal (process.consoleSize).
    std::optional<winsize> fallback_size;
};

// Relays between the caller and the pseudo-terminal `master` until `container` (the container's first process,
// a child of the caller, not reaped here) exits, then drains what is left to read. Throws Error with context
// ("relay the terminal: read the standard input: ...").
void relay_terminal(int master, pid_t container, const TerminalRelayOptions& options);

}  // namespace berth::runtime
