#include "runtime/terminal_relay.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <initializer_list>
#include <string>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth::runtime {
namespace {

constexpr std::size_t buffer_size = 16384;

// Blocks `signals` and delivers them through a signalfd for the object's lifetime. What is still pending at the
// end (a SIGPIPE from a closed stdout, a late SIGWINCH) is discarded before the old mask comes back.
class SignalFd {
public:
    explicit SignalFd(std::initializer_list<int> signals) {
        sigemptyset(&set_);
        for (int signal : signals) sigaddset(&set_, signal);
        if (::sigprocmask(SIG_BLOCK, &set_, &previous_) != 0) throw_last_errno("relay the terminal: block signals");
        fd_.reset(::signalfd(-1, &set_, SFD_NONBLOCK | SFD_CLOEXEC));
        if (!fd_) {
            int error = errno;
            ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
            throw_errno("relay the terminal: signalfd", error);
        }
    }
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;
    ~SignalFd() {
        take(0);
        fd_.reset();
        ::sigprocmask(SIG_SETMASK, &previous_, nullptr);
    }
    int get() const { return fd_.get(); }

    // Reads every pending signal; whether `wanted` was among them.
    bool take(int wanted) noexcept {
        bool seen = false;
        signalfd_siginfo info{};
        while (::read(fd_.get(), &info, sizeof info) == static_cast<ssize_t>(sizeof info))
            if (static_cast<int>(info.ssi_signo) == wanted) seen = true;
        return seen;
    }

private:
    sigset_t set_{};
    sigset_t previous_{};
    UniqueFd fd_;
};

// Writes all of `data` to the caller's output (blocking). Once the output is gone (EPIPE, ...) the container's
// output is read and dropped, so that it never blocks on a full pseudo-terminal.
void write_output(int fd, const char* data, std::size_t size, bool& output_open) {
    while (output_open && size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            output_open = false;
            return;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

enum class MasterRead { data, empty, closed };

// One read of the (non-blocking) master, copied to the output. EIO: every end of the slave side is closed.
MasterRead copy_from_master(int master, int output, bool& output_open) {
    char buffer[buffer_size];
    ssize_t n = ::read(master, buffer, sizeof buffer);
    if (n > 0) {
        write_output(output, buffer, static_cast<std::size_t>(n), output_open);
        return MasterRead::data;
    }
    if (n == 0 || errno == EIO) return MasterRead::closed;
    if (errno == EAGAIN || errno == EINTR) return MasterRead::empty;
    throw_last_errno("relay the terminal: read the pseudo-terminal");
}

// The end of a non-terminal input becomes the pseudo-terminal's end-of-file character (as script(1) does):
// twice when a line is unfinished, since the first one only hands that line over.
std::string end_of_input(int master, char last_byte) {
    termios settings{};
    char eof = ::tcgetattr(master, &settings) == 0 && settings.c_cc[VEOF] != _POSIX_VDISABLE
                   ? static_cast<char>(settings.c_cc[VEOF])
                   : '\x04';
    return last_byte == '\n' || last_byte == '\0' ? std::string(1, eof) : std::string(2, eof);
}

void set_window_size(int master, const TerminalRelayOptions& options) noexcept {
    if (copy_window_size(options.input, master) || copy_window_size(options.output, master)) return;
    if (options.fallback_size) ::ioctl(master, TIOCSWINSZ, &*options.fallback_size);
}

}  // namespace

RawMode::RawMode(int fd) {
    if (::tcgetattr(fd, &saved_) != 0) return;  // not a terminal
    termios raw = saved_;
    ::cfmakeraw(&raw);
    if (::tcsetattr(fd, TCSANOW, &raw) != 0) throw_last_errno("put the terminal in raw mode");
    fd_ = fd;
    active_ = true;
}

RawMode::~RawMode() {
    if (active_) ::tcsetattr(fd_, TCSADRAIN, &saved_);
}

bool copy_window_size(int from, int to) noexcept {
    winsize size{};
    if (::ioctl(from, TIOCGWINSZ, &size) != 0) return false;
    return ::ioctl(to, TIOCSWINSZ, &size) == 0;
}

void relay_terminal(int master, pid_t container, const TerminalRelayOptions& options) {
    UniqueFd exited(static_cast<int>(::syscall(SYS_pidfd_open, container, 0)));
    if (!exited) throw_last_errno("relay the terminal: watch the container (pidfd_open)");
    int flags = ::fcntl(master, F_GETFL);
    if (flags < 0 || ::fcntl(master, F_SETFL, flags | O_NONBLOCK) != 0)
        throw_last_errno("relay the terminal: make the pseudo-terminal non-blocking");

    SignalFd signals({SIGWINCH, SIGPIPE});
    bool input_is_terminal = options.input >= 0 && ::isatty(options.input) == 1;
    // The caller's terminal is raw while the container's drives it, also when no input goes in (-t without -i):
    // else its own output processing would turn the container's \r\n into \r\r\n.
    RawMode raw(input_is_terminal ? options.input : options.output);
    set_window_size(master, options);

    std::string to_master;  // read from the input, not yet written to the master
    bool input_open = options.input >= 0;
    bool master_open = true;
    bool output_open = true;
    char last_input = '\0';
    for (;;) {
        pollfd fds[4] = {
            {exited.get(), POLLIN, 0},
            {signals.get(), POLLIN, 0},
            {master_open ? master : -1, static_cast<short>(POLLIN | (to_master.empty() ? 0 : POLLOUT)), 0},
            {input_open && to_master.size() < buffer_size ? options.input : -1, POLLIN, 0},
        };
        if (::poll(fds, std::size(fds), -1) < 0) {
            if (errno == EINTR) continue;  // a forwarded signal
            throw_last_errno("relay the terminal: poll");
        }
        if (fds[1].revents && signals.take(SIGWINCH)) set_window_size(master, options);
        if (fds[2].revents & (POLLIN | POLLHUP | POLLERR))
            master_open = copy_from_master(master, options.output, output_open) != MasterRead::closed;
        if (master_open && (fds[2].revents & POLLOUT)) {
            ssize_t n = ::write(master, to_master.data(), to_master.size());
            if (n > 0) to_master.erase(0, static_cast<std::size_t>(n));
            if (n < 0 && errno != EAGAIN && errno != EINTR) master_open = false;
        }
        if (fds[3].revents) {
            char buffer[buffer_size];
            ssize_t n = ::read(options.input, buffer, sizeof buffer - to_master.size());
            if (n > 0) {
                to_master.append(buffer, static_cast<std::size_t>(n));
                last_input = buffer[n - 1];
            } else if (n == 0 || errno == EIO) {
                input_open = false;
                if (!input_is_terminal) to_master += end_of_input(master, last_input);
            } else if (errno != EINTR && errno != EAGAIN) {
                throw_last_errno("relay the terminal: read the standard input");
            }
        }
        if (fds[0].revents) break;
    }
    // The container has exited: what it wrote is still in the pseudo-terminal until the slave side is closed.
    while (master_open && copy_from_master(master, options.output, output_open) == MasterRead::data) {
    }
}

}  // namespace berth::runtime
