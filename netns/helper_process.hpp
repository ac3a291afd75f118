// A network helper (slirp4netns, pasta, a CNI plugin) run by the container's monitor: started with the monitor as
// its parent and PR_SET_PDEATHSIG, so that it dies with the monitor, and stopped (SIGTERM, then SIGKILL) and
// reaped when its owner goes away.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace berth::netns {

struct HelperCommand {
    std::vector<std::string> argv;     // argv[0] is the program's path
    std::vector<int> pass_fds;         // become the helper's fds 3, 4, ... in this order
    std::string log_path;              // its stdout and stderr (appended); "" is /dev/null
    std::vector<std::string> env;      // KEY=VALUE added to the monitor's environment
    std::optional<std::string> input;  // written to its stdin (else /dev/null); the caller reads its output
};

class HelperProcess {
public:
    HelperProcess() = default;
    // Starts the helper; Error naming the program when it cannot be.
    explicit HelperProcess(const HelperCommand& command);
    HelperProcess(HelperProcess&& other) noexcept;
    HelperProcess& operator=(HelperProcess&& other) noexcept;
    HelperProcess(const HelperProcess&) = delete;
    HelperProcess& operator=(const HelperProcess&) = delete;
    ~HelperProcess() { stop(); }

    pid_t pid() const { return pid_; }
    // Its wait status once it has ended (reaped then); nothing while it runs.
    std::optional<int> poll_exit();
    // Waits for it to end and returns the wait status.
    int wait();
    // SIGTERM, up to `grace` to end, then SIGKILL; reaps it. Nothing when it already ended.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(1000)) noexcept;

private:
    pid_t pid_ = -1;
};

// The last non-empty line of a helper's log, for error messages ("" when there is none).
std::string last_log_line(const std::string& log_path);

// "exited with status 1" / "was killed by signal 9".
std::string wait_status_text(int status);

}  // namespace berth::netns
