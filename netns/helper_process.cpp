#include "netns/helper_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"

extern char** environ;

namespace berth::netns {
namespace {

constexpr int first_passed_fd = 3;
constexpr int high_fd_base = 100;

// Everything the child needs, prepared before fork: after it only async-signal-safe calls are made (the monitor
// has other threads).
struct PreparedExec {
    std::vector<std::string> strings;
    std::vector<char*> argv;
    std::vector<std::string> env_strings;
    std::vector<char*> envp;
};

PreparedExec prepare_exec(const HelperCommand& command) {
    PreparedExec exec;
    exec.strings = command.argv;
    for (auto& arg : exec.strings) exec.argv.push_back(arg.data());
    exec.argv.push_back(nullptr);
    for (char** entry = environ; entry && *entry; ++entry) exec.env_strings.emplace_back(*entry);
    for (const auto& extra : command.env) exec.env_strings.push_back(extra);
    for (auto& entry : exec.env_strings) exec.envp.push_back(entry.data());
    exec.envp.push_back(nullptr);
    return exec;
}

[[noreturn]] void child_main(const PreparedExec& exec, const std::vector<int>& pass_fds, int stdin_fd, int log_fd,
                             pid_t parent) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(125);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    int high[64];
    size_t count = pass_fds.size() < 64 ? pass_fds.size() : 64;
    for (size_t index = 0; index < count; ++index) high[index] = ::fcntl(pass_fds[index], F_DUPFD, high_fd_base);
    int high_stdin = ::fcntl(stdin_fd, F_DUPFD, high_fd_base);
    int high_log = ::fcntl(log_fd, F_DUPFD, high_fd_base);
    ::dup2(high_stdin, STDIN_FILENO);
    ::dup2(high_log, STDOUT_FILENO);
    ::dup2(high_log, STDERR_FILENO);
    for (size_t index = 0; index < count; ++index) ::dup2(high[index], first_passed_fd + static_cast<int>(index));
    ::close_range(first_passed_fd + static_cast<unsigned>(count), ~0U, 0);
    ::execve(exec.argv[0], exec.argv.data(), exec.envp.data());
    ::_exit(127);
}

}  // namespace

HelperProcess::HelperProcess(const HelperCommand& command) {
    if (command.argv.empty()) throw Error("start a network helper: no command");
    auto exec = prepare_exec(command);
    int log_fd = command.log_path.empty()
                     ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
                     : ::open(command.log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) throw_last_errno("open " + (command.log_path.empty() ? "/dev/null" : command.log_path));
    UniqueFd log_guard(log_fd);
    int input_fds[2] = {-1, -1};
    if (command.input) {
        if (::pipe2(input_fds, O_CLOEXEC) != 0) throw_last_errno("pipe");
    } else {
        input_fds[0] = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    UniqueFd input_read(input_fds[0]);
    UniqueFd input_write(input_fds[1]);
    pid_t parent = ::getpid();
    pid_t child = ::fork();
    if (child < 0) throw_last_errno("start " + command.argv[0] + ": fork");
    if (child == 0) child_main(exec, command.pass_fds, input_fds[0], log_fd, parent);
    pid_ = child;
    input_read.reset();
    if (command.input) {
        const std::string& data = *command.input;
        size_t written = 0;
        while (written < data.size()) {
            ssize_t n = ::write(input_fds[1], data.data() + written, data.size() - written);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // the helper ended early; its status says why
            written += static_cast<size_t>(n);
        }
    }
}

HelperProcess::HelperProcess(HelperProcess&& other) noexcept : pid_(std::exchange(other.pid_, -1)) {}

HelperProcess& HelperProcess::operator=(HelperProcess&& other) noexcept {
    if (this != &other) {
        stop();
        pid_ = std::exchange(other.pid_, -1);
    }
    return *this;
}

std::optional<int> HelperProcess::poll_exit() {
    if (pid_ <= 0) return std::nullopt;
    int status = 0;
    pid_t result = ::waitpid(pid_, &status, WNOHANG);
    if (result == pid_) {
        pid_ = -1;
        return status;
    }
    return std::nullopt;
}

int HelperProcess::wait() {
    int status = 0;
    if (pid_ <= 0) return 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) {
            pid_ = -1;
            return 0;
        }
    }
    pid_ = -1;
    return status;
}

void HelperProcess::stop(std::chrono::milliseconds grace) noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (std::chrono::steady_clock::now() < deadline) {
        if (poll_exit()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait();
    }
}

std::string last_log_line(const std::string& log_path) {
    if (log_path.empty()) return {};
    std::string last;
    for (const auto& line : split(read_file_if_exists(log_path).value_or(""), '\n')) {
        auto trimmed = trim(line);
        if (!trimmed.empty() && trimmed.find("Failed to send") == std::string_view::npos) last = trimmed;
    }
    return last;
}

std::string wait_status_text(int status) {
    if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
    return "exited with status " + std::to_string(WEXITSTATUS(status));
}

}  // namespace berth::netns
