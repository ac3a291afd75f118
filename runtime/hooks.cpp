#include "runtime/hooks.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace berth::runtime {
namespace {

using nlohmann::json;

std::vector<std::string> strings_of(const json& hook, const char* field) {
    std::vector<std::string> out;
    if (!hook.contains(field)) return out;
    if (!hook[field].is_array()) throw Error(std::string("hook ") + field + ": not an array");
    for (const auto& item : hook[field]) {
        if (!item.is_string()) throw Error(std::string("hook ") + field + ": not a string");
        out.push_back(item.get<std::string>());
    }
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& text : strings) out.push_back(text.data());
    out.push_back(nullptr);
    return out;
}

// Waits for the hook, killing it once `timeout` (seconds, 0: none) has passed. Its wait status, or nothing on
// a timeout.
std::optional<int> wait_with_timeout(pid_t pid, int timeout) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(pid, &status, timeout > 0 ? WNOHANG : 0);
        if (done == pid) return status;
        if (done < 0 && errno != EINTR) throw_last_errno("wait for a hook");
        if (timeout > 0 && std::chrono::steady_clock::now() > deadline) {
            ::kill(pid, SIGKILL);
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
            }
            return std::nullopt;
        }
        if (timeout > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

void run_hook(const json& hook, const std::string& what, const std::string& state_text) {
    if (!hook.is_object() || !hook.contains("path") || !hook["path"].is_string()) throw Error(what + ": no path");
    std::string path = hook["path"].get<std::string>();
    std::vector<std::string> args = strings_of(hook, "args");
    if (args.empty()) args.push_back(path);
    std::vector<std::string> env = strings_of(hook, "env");
    int timeout = hook.contains("timeout") && hook["timeout"].is_number_integer() ? hook["timeout"].get<int>() : 0;
    if (hook.contains("timeout") && timeout <= 0) throw Error(what + ": timeout must be greater than zero");
    auto argv = pointers(args);
    auto envp = pointers(env);

    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw_last_errno(what + ": pipe");
    UniqueFd read_end(pipe_fds[0]);
    UniqueFd write_end(pipe_fds[1]);
    pid_t pid = ::fork();
    if (pid < 0) throw_last_errno(what + ": fork");
    if (pid == 0) {
        ::dup2(pipe_fds[0], STDIN_FILENO);
        ::execve(path.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    read_end.reset();
    // A hook that does not read its input must not stop us: SIGPIPE ignored for the write.
    struct sigaction ignore {
    }, previous{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous);
    std::size_t written = 0;
    while (written < state_text.size()) {
        ssize_t n = ::write(write_end.get(), state_text.data() + written, state_text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        written += static_cast<std::size_t>(n);
    }
    ::sigaction(SIGPIPE, &previous, nullptr);
    write_end.reset();
    auto status = wait_with_timeout(pid, timeout);
    if (!status) throw Error(what + ": timeout after " + std::to_string(timeout) + " seconds");
    if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0) return;
    if (WIFSIGNALED(*status)) throw Error(what + ": signal: " + std::to_string(WTERMSIG(*status)));
    throw Error(what + ": exit status " + std::to_string(WEXITSTATUS(*status)));
}

}  // namespace

void run_hooks(const json& hooks, const std::string& kind, const json& state) {
    if (!hooks.is_object() || !hooks.contains(kind)) return;
    const json& list = hooks[kind];
    if (!list.is_array()) throw Error("hooks." + kind + ": not an array");
    std::string state_text = state.dump();
    for (std::size_t index = 0; index < list.size(); ++index)
        run_hook(list[index], "error running " + kind + " hook #" + std::to_string(index), state_text);
}

}  // namespace berth::runtime
