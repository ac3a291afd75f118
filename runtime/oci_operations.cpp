#include "runtime/oci_operations.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "runtime/cgroup_limits.hpp"
#include "runtime/container_state.hpp"
#include "runtime/executor.hpp"
#include "runtime/fd_passing.hpp"
#include "runtime/hooks.hpp"
#include "runtime/namespace_join.hpp"
#include "runtime/process_identity.hpp"
#include "runtime/seccomp_filter.hpp"
#include "runtime/terminal_relay.hpp"

namespace berth::runtime {
namespace {

using nlohmann::json;

// Removes a container's state directory unless dismissed: a create that fails leaves nothing behind.
class DirectoryGuard {
public:
    explicit DirectoryGuard(std::string path) : path_(std::move(path)) {}
    DirectoryGuard(const DirectoryGuard&) = delete;
    DirectoryGuard& operator=(const DirectoryGuard&) = delete;
    ~DirectoryGuard() {
        if (path_.empty()) return;
        try {
            remove_tree(path_);
        } catch (const std::exception&) {
        }
    }
    void dismiss() { path_.clear(); }

private:
    std::string path_;
};

std::string absolute_bundle(const std::string& bundle) {
    char resolved[PATH_MAX];
    if (!::realpath(bundle.c_str(), resolved)) throw_last_errno("chdir " + bundle);
    struct stat info {};
    if (::stat(resolved, &info) != 0 || !S_ISDIR(info.st_mode)) throw_errno("chdir " + bundle, ENOTDIR);
    return resolved;
}

json read_spec(const std::string& bundle) {
    auto text = read_file_if_exists(bundle + "/config.json");
    if (!text) throw Error("JSON specification file config.json not found");
    auto spec = json::parse(*text, nullptr, false);
    if (spec.is_discarded() || !spec.is_object()) throw Error("config.json: malformed JSON");
    return spec;
}

std::string rootfs_of(const json& spec, const std::string& bundle) {
    std::string path;
    if (spec.contains("root") && spec["root"].is_object()) path = spec["root"].value("path", "");
    if (path.empty()) return bundle + "/rootfs";
    return path.front() == '/' ? path : bundle + "/" + path;
}

std::string owner_name(bool rootless) {
    if (!rootless) return "";
    if (const passwd* entry = ::getpwuid(::geteuid())) return entry->pw_name;
    return std::to_string(::geteuid());
}

// The console socket a terminal's master goes to, connected (before an exec joins the container's mounts).
UniqueFd connect_console_socket(const std::string& path) {
    UniqueFd socket(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket) throw_last_errno("console socket " + path);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof address.sun_path) throw Error("console socket " + path + ": path too long");
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    if (::connect(socket.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw_last_errno("connect to the console socket " + path);
    return socket;
}

// Sends the pseudo-terminal's master over the console socket, as runc does (one message with SCM_RIGHTS).
void send_terminal(int socket, int master) {
    if (int error = send_fd(socket, master, "/dev/ptmx")) throw_errno("send the terminal to the console socket", error);
}

void send_to_console_socket(const std::string& path, int master) {
    UniqueFd socket = connect_console_socket(path);
    send_terminal(socket.get(), master);
}

json hooks_of(const json& spec) {
    if (spec.contains("hooks") && spec["hooks"].is_object()) return spec["hooks"];
    return json::object();
}

// Runs a kind of hooks after create is gone; a failure is a warning, as the spec says for poststart and
// poststop.
void run_hooks_warning(const ContainerState& state, ContainerStatus status, const char* kind) {
    try {
        run_hooks(state.hooks, kind, state_document(state, status));
    } catch (const Error& error) {
        log_warning(error.what());
    }
}

bool wait_until_gone(const ContainerState& state, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (same_process_alive(state.pid, state.start_time, state.boot_id)) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

// The container's cgroups, the poststop hooks and the state directory.
void destroy(const std::string& root, const ContainerState& state) {
    remove_cgroups(state.cgroups_created, state.cgroup_directories);
    run_hooks_warning(state, ContainerStatus::stopped, "poststop");
    remove_tree(container_directory(root, state.id));
}

std::optional<std::string> namespace_of(pid_t pid, const char* kind) {
    char target[128];
    std::string link = "/proc/" + std::to_string(pid) + "/ns/" + kind;
    ssize_t length = ::readlink(link.c_str(), target, sizeof target - 1);
    if (length < 0) return std::nullopt;
    return std::string(target, static_cast<std::size_t>(length));
}

}  // namespace

CreatedContainer oci_create(const CreateRequest& request) {
    if (!valid_container_id(request.id)) throw Error("invalid container ID format");
    make_directories(request.root, 0700);
    std::string directory = container_directory(request.root, request.id);
    if (::mkdir(directory.c_str(), 0711) != 0) {
        if (errno == EEXIST) throw Error("container with given ID already exists");
        throw_last_errno("create the state directory " + directory);
    }
    DirectoryGuard guard(directory);

    ContainerState state;
    state.id = request.id;
    state.bundle = absolute_bundle(request.bundle);
    json spec = read_spec(state.bundle);
    state.rootfs = rootfs_of(spec, state.bundle);
    state.created = rfc3339_now();
    state.rootless = request.rootless;
    state.owner = owner_name(request.rootless);
    state.boot_id = current_boot_id();
    state.hooks = hooks_of(spec);
    if (spec.contains("annotations") && spec["annotations"].is_object()) state.annotations = spec["annotations"];

    std::string fifo = exec_fifo_path(request.root, request.id);
    if (::mkfifo(fifo.c_str(), 0622) != 0) throw_last_errno("create the exec FIFO " + fifo);
    // The process holds the read end; `start` opens it for writing (never blocking: the reader is there).
    UniqueFd fifo_fd(::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fifo_fd) throw_last_errno("open the exec FIFO " + fifo);

    std::optional<seccomp::Profile> profile;
    CreateOptions options;
    options.container_id = request.id;
    options.start_fifo_fd = fifo_fd.get();
    options.preserve_fds = request.preserve_fds;
    options.no_pivot = request.no_pivot;
    if (request.default_seccomp == "default") {
        options.default_seccomp = &seccomp::default_profile();
    } else if (!request.default_seccomp.empty() && request.default_seccomp != "unconfined") {
        profile = seccomp::parse_profile(read_file(request.default_seccomp), request.default_seccomp);
        options.default_seccomp = &*profile;
    }
    options.before_start = [&](pid_t pid) {
        ContainerState creating = state;
        creating.pid = pid;
        // prestart (deprecated) hooks see the container as created, as runtime-tools' suite expects.
        run_hooks(state.hooks, "prestart", state_document(creating, ContainerStatus::created));
        run_hooks(state.hooks, "createRuntime", state_document(creating, ContainerStatus::creating));
    };
    CreatedContainer created;
    options.on_terminal = [&](UniqueFd master) {
        if (!request.console_socket.empty())
            send_to_console_socket(request.console_socket, master.get());
        else if (request.keep_terminal)
            created.terminal = std::move(master);
        else
            throw Error("cannot allocate tty if runc will detach without setting console socket");
    };
    CreatedProcess process = create_waiting_container(spec, state.bundle, options);
    created.pid = process.pid;
    state.pid = process.pid;
    state.start_time = process_start_time(process.pid).value_or(0);
    state.cgroup_directories = process.cgroup_directories;
    state.cgroups_created = process.cgroups_created;
    try {
        write_container_state(request.root, state);
        if (!request.pid_file.empty())
            write_file_atomic(request.pid_file, std::to_string(process.pid), 0644, Durability::atomic);
    } catch (...) {
        ::kill(process.pid, SIGKILL);
        remove_cgroups(state.cgroups_created, state.cgroup_directories);
        throw;
    }
    guard.dismiss();
    return created;
}

void oci_start(const std::string& root, const std::string& id) {
    ContainerState state = read_container_state(root, id);
    switch (current_status(root, state)) {
        case ContainerStatus::stopped: throw Error("cannot start a container that has stopped");
        case ContainerStatus::running: throw Error("cannot start an already running container");
        default: break;
    }
    std::string fifo = exec_fifo_path(root, id);
    UniqueFd fd(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
    if (!fd) {
        if (errno == ENXIO || errno == ENOENT) throw Error("cannot start a container that has stopped");
        throw_last_errno("open the exec FIFO " + fifo);
    }
    const char go = '0';
    if (::write(fd.get(), &go, 1) != 1) throw_last_errno("write the exec FIFO " + fifo);
    fd.reset();
    ::unlink(fifo.c_str());
    run_hooks_warning(state, ContainerStatus::running, "poststart");
}

json oci_state(const std::string& root, const std::string& id) {
    ContainerState state = read_container_state(root, id);
    return state_document(state, current_status(root, state));
}

void oci_kill(const std::string& root, const std::string& id, int signal, bool all) {
    ContainerState state = read_container_state(root, id);
    if (current_status(root, state) == ContainerStatus::stopped) throw Error("container not running");
    if (all) {
        for (pid_t pid : oci_pids(root, id)) ::kill(pid, signal);
        return;
    }
    if (::kill(state.pid, signal) != 0) throw_last_errno("kill container " + id);
}

void oci_delete(const std::string& root, const std::string& id, bool force) {
    ContainerState state;
    try {
        state = read_container_state(root, id);
    } catch (const Error&) {
        if (force && valid_container_id(id)) {
            // A create that died half-way may have left a directory without state.
            std::string directory = container_directory(root, id);
            if (path_exists(directory)) remove_tree(directory);
            return;
        }
        throw;
    }
    ContainerStatus status = current_status(root, state);
    if (status == ContainerStatus::running && !force)
        throw Error("cannot delete container " + id + " that is not stopped: running");
    if (status != ContainerStatus::stopped) {
        for (pid_t pid : oci_pids(root, id)) ::kill(pid, SIGKILL);
        ::kill(state.pid, SIGKILL);
        if (!wait_until_gone(state, std::chrono::seconds(10)))
            throw Error("container " + id + " did not stop after SIGKILL");
    }
    destroy(root, state);
}

int oci_run(const CreateRequest& request, bool detach) {
    CreateRequest create = request;
    create.keep_terminal = !detach && request.console_socket.empty();
    CreatedContainer created = oci_create(create);
    try {
        oci_start(request.root, request.id);
    } catch (...) {
        try {
            oci_delete(request.root, request.id, true);
        } catch (const std::exception&) {
        }
        throw;
    }
    if (detach) return 0;
    int status = 0;
    if (created.terminal) {
        relay_terminal(created.terminal.get(), created.pid, TerminalRelayOptions{});
        status = wait_for_container(created.pid, false);
    } else {
        status = wait_for_container(created.pid, true);
    }
    oci_delete(request.root, request.id, true);
    return status;
}

namespace {

void set_env(json& env, const std::string& assignment) {
    std::string key = assignment.substr(0, assignment.find('='));
    for (auto& entry : env)
        if (entry.is_string() && entry.get<std::string>().rfind(key + "=", 0) == 0) {
            entry = assignment;
            return;
        }
    env.push_back(assignment);
}

json exec_process(const ExecRequest& request, const json& spec) {
    if (!request.process_file.empty()) {
        auto process = json::parse(read_file(request.process_file), nullptr, false);
        if (process.is_discarded() || !process.is_object()) throw Error(request.process_file + ": malformed JSON");
        return process;
    }
    json process = spec.contains("process") ? spec["process"] : json::object();
    if (request.args.empty()) throw Error("exec: the command is missing");
    process["args"] = request.args;
    process["terminal"] = request.tty;
    process.erase("consoleSize");
    if (!request.cwd.empty()) process["cwd"] = request.cwd;
    if (!process.contains("env") || !process["env"].is_array()) process["env"] = json::array();
    for (const auto& assignment : request.env) set_env(process["env"], assignment);
    if (!request.user.empty()) {
        auto parts = split(request.user, ':');
        auto uid = parse_unsigned(parts[0]);
        auto gid = parts.size() > 1 ? parse_unsigned(parts[1]) : std::optional<unsigned long long>(0);
        if (!uid || !gid || parts.size() > 2) throw Error("exec: invalid --user \"" + request.user + "\": uid[:gid]");
        process["user"] = {{"uid", *uid}, {"gid", *gid}};
    }
    for (const auto& cap : request.caps)
        for (const char* set : {"bounding", "effective", "permitted", "inheritable", "ambient"})
            process["capabilities"][set].push_back(cap);
    return process;
}

}  // namespace

int oci_exec(const ExecRequest& request) {
    ContainerState state = read_container_state(request.root, request.id);
    if (current_status(request.root, state) != ContainerStatus::running)
        throw Error("cannot exec in a stopped container");
    json spec = read_spec(state.bundle);
    spec["process"] = exec_process(request, spec);
    bool terminal = spec["process"].value("terminal", false);
    if (request.detach && terminal && request.console_socket.empty())
        throw Error("cannot allocate tty if runc will detach without setting console socket");
    ExecutorOptions options;
    options.wait = !request.detach;
    options.forward_signals = !request.detach;
    // Opened before the process joins the container's mount namespace, where the path means nothing.
    UniqueFd pid_fd;
    if (!request.pid_file.empty()) {
        pid_fd.reset(::open(request.pid_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!pid_fd) throw_last_errno("open the pid file " + request.pid_file);
    }
    options.on_start = [&](pid_t pid) {
        if (!pid_fd) return;
        std::string text = std::to_string(pid);
        if (::write(pid_fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
            throw_last_errno("write the pid file " + request.pid_file);
        pid_fd.reset();
    };
    UniqueFd console;
    if (terminal && !request.console_socket.empty()) {
        console = connect_console_socket(request.console_socket);
        options.on_terminal = [&](UniqueFd master) { send_terminal(console.get(), master.get()); };
    }
    pid_t target = state.pid;
    return exec_in_namespaces(spec, state.bundle, options, [target] { join_namespaces(target); });
}

std::vector<json> oci_list(const std::string& root) {
    std::vector<json> out;
    for (const auto& id : container_ids(root)) {
        try {
            out.push_back(oci_state(root, id));
        } catch (const Error&) {
            // removed meanwhile
        }
    }
    return out;
}

std::vector<pid_t> oci_pids(const std::string& root, const std::string& id) {
    ContainerState state = read_container_state(root, id);
    if (current_status(root, state) == ContainerStatus::stopped) return {};
    std::vector<pid_t> pids;
    for (const auto& directory : state.cgroup_directories) {
        auto text = read_file_if_exists(directory + "/cgroup.procs");
        if (!text) continue;
        for (const auto& line : split(*text, '\n'))
            if (auto pid = parse_unsigned(trim(line)))
                if (std::find(pids.begin(), pids.end(), static_cast<pid_t>(*pid)) == pids.end())
                    pids.push_back(static_cast<pid_t>(*pid));
    }
    if (!pids.empty()) return pids;
    // No cgroup of its own: the processes in its pid namespace, when it has one.
    auto own = namespace_of(state.pid, "pid");
    auto host = namespace_of(::getpid(), "pid");
    if (own && host && *own != *host) {
        for (const auto& name : list_directory("/proc")) {
            auto pid = parse_unsigned(name);
            if (pid && namespace_of(static_cast<pid_t>(*pid), "pid") == own) pids.push_back(static_cast<pid_t>(*pid));
        }
        return pids;
    }
    return {state.pid};
}

}  // namespace berth::runtime
