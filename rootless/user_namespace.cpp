#include "rootless/user_namespace.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"
#include "rootless/id_map_helpers.hpp"

namespace berth::rootless {
namespace {

// A pipe whose ends are closed by scope.
struct Pipe {
    UniqueFd read_end;
    UniqueFd write_end;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw_last_errno("pipe");
        read_end.reset(fds[0]);
        write_end.reset(fds[1]);
    }
};

// A write whose failure the reader notices anyway (it sees a closed pipe).
void write_best_effort(int fd, const void* data, size_t size) {
    if (::write(fd, data, size) < 0) return;
}

void write_proc_file(const std::string& path, const std::string& content) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_last_errno("open " + path);
    if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        throw_last_errno("write " + path);
}

// Runs a helper and waits for it; returns its exit status, with its stderr in `output`.
int run_helper(const std::string& path, const std::vector<std::string>& arguments, std::string& output) {
    std::vector<std::string> argv_strings{path};
    argv_strings.insert(argv_strings.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& argument : argv_strings) argv.push_back(argument.data());
    argv.push_back(nullptr);
    Pipe errors;
    pid_t child = ::fork();
    if (child < 0) throw_last_errno("fork " + path);
    if (child == 0) {
        ::dup2(errors.write_end.get(), STDERR_FILENO);
        ::dup2(errors.write_end.get(), STDOUT_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    errors.write_end.reset();
    char buffer[1024];
    for (ssize_t n; (n = ::read(errors.read_end.get(), buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        output.append(buffer, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void map_with_helper(const std::string& name, pid_t pid, const std::vector<IdMapping>& mappings,
                     const std::string& subid_file, const std::string& user_name) {
    IdMapHelper helper = check_id_map_helper(name);
    if (!helper.usable) throw Error("cannot set up the user namespace: " + helper.problem);
    std::string output;
    if (run_helper(*helper.path, id_map_arguments(pid, mappings), output) == 0) return;
    throw Error("cannot set up the user namespace using " + name + ": " + std::string(trim(output)) +
                " (check the ranges of " + user_name + " in " + subid_file + ")");
}

// The process that runs newuidmap/newgidmap for its parent once the parent has unshared.
[[noreturn]] void run_mapper(const UserIds& user, pid_t target, Pipe& go, Pipe& report) {
    go.write_end.reset();
    report.read_end.reset();
    char byte = 0;
    std::string message;
    if (::read(go.read_end.get(), &byte, 1) != 1) ::_exit(1);
    try {
        map_with_helper("newuidmap", target, rootless_id_mappings(user.uid, user.subuids), user.subuid_file, user.name);
        map_with_helper("newgidmap", target, rootless_id_mappings(user.gid, user.subgids), user.subgid_file, user.name);
    } catch (const Error& error) {
        message = error.what();
    }
    if (!message.empty()) write_best_effort(report.write_end.get(), message.data(), message.size());
    ::_exit(message.empty() ? 0 : 1);
}

void become_root_in_namespace() {
    if (::setresgid(0, 0, 0) != 0) throw_last_errno("setresgid in the user namespace");
    if (::setresuid(0, 0, 0) != 0) throw_last_errno("setresuid in the user namespace");
}

void enter_with_own_ids_only(const UserIds& user) {
    static bool warned = false;
    if (!warned) {
        log_warning("no subordinate ids for " + user.name + " in " + user.subuid_file + " or " + user.subgid_file +
                    ": using a single-id mapping; add ranges with usermod --add-subuids 100000-165535 "
                    "--add-subgids 100000-165535 " +
                    user.name);
        warned = true;
    }
    if (::unshare(CLONE_NEWUSER) != 0) throw_last_errno("cannot create a user namespace");
    write_proc_file("/proc/self/setgroups", "deny");
    write_proc_file("/proc/self/uid_map", "0 " + std::to_string(user.uid) + " 1");
    write_proc_file("/proc/self/gid_map", "0 " + std::to_string(user.gid) + " 1");
    become_root_in_namespace();
}

}  // namespace

std::vector<std::string> id_map_arguments(int pid, const std::vector<IdMapping>& mappings) {
    std::vector<std::string> arguments{std::to_string(pid)};
    for (const auto& mapping : mappings) {
        arguments.push_back(std::to_string(mapping.container_id));
        arguments.push_back(std::to_string(mapping.host_id));
        arguments.push_back(std::to_string(mapping.size));
    }
    return arguments;
}

bool in_user_namespace() {
    auto map = read_file_if_exists("/proc/self/uid_map").value_or("");
    auto fields = split(trim(map), ' ');
    std::vector<std::string> numbers;
    for (auto& field : fields)
        if (!field.empty()) numbers.push_back(field);
    return !(numbers.size() == 3 && numbers[0] == "0" && numbers[1] == "0" && numbers[2] == "4294967295");
}

void enter_user_namespace(const UserIds& user) {
    if (user.subuids.empty() || user.subgids.empty()) {
        enter_with_own_ids_only(user);
        return;
    }
    Pipe go;
    Pipe report;
    pid_t self = ::getpid();
    pid_t mapper = ::fork();
    if (mapper < 0) throw_last_errno("fork");
    if (mapper == 0) run_mapper(user, self, go, report);
    go.read_end.reset();
    report.write_end.reset();
    int unshare_error = ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
    const char byte = 1;
    if (unshare_error == 0) write_best_effort(go.write_end.get(), &byte, 1);
    go.write_end.reset();
    std::string message;
    char buffer[1024];
    for (ssize_t n; (n = ::read(report.read_end.get(), buffer, sizeof buffer)) > 0;)
        message.append(buffer, static_cast<size_t>(n));
    int status = 0;
    while (::waitpid(mapper, &status, 0) < 0 && errno == EINTR) {
    }
    if (unshare_error != 0) throw_errno("cannot create a user namespace", unshare_error);
    if (!message.empty()) throw Error(message);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw Error("cannot set up the user namespace");
    become_root_in_namespace();
}

}  // namespace berth::rootless
