#include "engine/container_exec.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"
#include "engine/container_control.hpp"
#include "engine/container_start.hpp"
#include "engine/image_users.hpp"
#include "runtime/executor.hpp"
#include "runtime/namespace_join.hpp"
#include "runtime/process_identity.hpp"
#include "runtime/seccomp_filter.hpp"

namespace berth::engine {
namespace {

void set_env(nlohmann::json& env, const std::string& key, const std::string& value) {
    for (auto& entry : env)
        if (entry.is_string() && entry.get<std::string>().starts_with(key + "=")) {
            entry = key + "=" + value;
            return;
        }
    env.push_back(key + "=" + value);
}

// The container's spec with the exec'd process in place of its first one.
nlohmann::json exec_spec(const ExecRequest& request, pid_t pid, const std::string& spec_path) {
    auto spec = nlohmann::json::parse(read_file(spec_path), nullptr, false);
    if (spec.is_discarded()) throw Error(spec_path + ": malformed JSON");
    auto& process = spec["process"];
    process["args"] = request.command;
    process["terminal"] = request.tty;
    process.erase("consoleSize");
    auto& env = process["env"];
    if (!env.is_array()) env = nlohmann::json::array();
    for (const auto& [key, value] : request.env) set_env(env, key, value);
    if (request.tty) set_env(env, "TERM", "xterm");
    if (!request.workdir.empty()) process["cwd"] = request.workdir;
    if (!request.user.empty()) {
        auto user = lookup_image_user("/proc/" + std::to_string(pid) + "/root", request.user);
        process["user"] = {{"uid", user.uid}, {"gid", user.gid}, {"additionalGids", user.additional_gids}};
        if (user.uid != 0) {
            // Podman: a non-root exec user gets no effective capabilities of its own.
            auto& caps = process["capabilities"];
            for (const char* set : {"effective", "permitted", "inheritable", "ambient"})
                caps[set] = nlohmann::json::array();
        }
    }
    if (request.privileged && process.contains("capabilities"))
        for (const char* set : {"effective", "permitted"})
            process["capabilities"][set] = process["capabilities"]["bounding"];
    return spec;
}

}  // namespace

int exec_in_container(const ExecRequest& request) {
    auto record = find_container(request.graph_root, request.id);
    if (record.state != storage::ContainerState::running || record.pid == 0 ||
        !runtime::same_process_alive(record.pid, record.pid_start_time, record.boot_id))
        throw Error("can only create exec sessions on running containers: container state improper");
    pid_t pid = record.pid;
    auto paths = storage::ContainerStore(request.graph_root).paths_of(record.id);
    auto spec = exec_spec(request, pid, paths.spec);

    ContainerSeccomp seccomp;
    load_container_seccomp(record, paths.userdata, seccomp);
    runtime::ExecutorOptions options;
    options.seccomp_cache_dir = request.run_root;
    options.terminal_input = request.interactive;
    options.default_seccomp = seccomp.profile;
    if (!request.interactive) {
        UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
        if (null_fd.valid()) ::dup2(null_fd.get(), STDIN_FILENO);
    }
    // The plan is prepared against the host (bind sources, the seccomp cache), then the process joins the
    // container; nothing after the join touches host paths.
    return runtime::exec_in_namespaces(spec, paths.userdata, options, [pid] { runtime::join_namespaces(pid); });
}

void exec_detached(const ExecRequest& request) {
    find_container(request.graph_root, request.id);  // a clear error now for a missing container
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t first = ::fork();
    if (first < 0) throw_last_errno("exec: fork");
    if (first == 0) {
        ::setsid();
        if (::fork() != 0) ::_exit(0);
        UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
        if (null_fd.valid())
            for (int target : {STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO}) ::dup2(null_fd.get(), target);
        int status = 125;
        try {
            ExecRequest background = request;
            background.tty = false;
            status = exec_in_container(background);
        } catch (const Error& error) {
            status = error.exit_status();
        }
        ::_exit(status);
    }
    int status = 0;
    while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
    }
}

}  // namespace berth::engine
