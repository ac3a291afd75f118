// The parent's half of the container's user namespace: writing the child's uid_map and gid_map.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"
#include "rootless/id_map_helpers.hpp"
#include "rootless/user_namespace.hpp"
#include "runtime/executor_plan.hpp"

namespace berth::runtime {
namespace {

using rootless::IdMapping;

bool own_id_alone(const std::vector<IdMapping>& mappings, std::uint64_t own) {
    return mappings.size() == 1 && mappings[0].host_id == own && mappings[0].size == 1;
}

std::string map_text(const std::vector<IdMapping>& mappings) {
    std::string text;
    for (const auto& mapping : mappings)
        text += std::to_string(mapping.container_id) + " " + std::to_string(mapping.host_id) + " " +
                std::to_string(mapping.size) + "\n";
    return text;
}

void write_proc_file(const std::string& path, const std::string& content) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_last_errno("create container: open " + path);
    if (::write(fd.get(), content.data(), content.size()) != static_cast<ssize_t>(content.size()))
        throw_last_errno("create container: write " + path);
}

// Runs newuidmap or newgidmap for the child and throws Error with its output when it fails.
void run_map_helper(const std::string& name, pid_t child, const std::vector<IdMapping>& mappings) {
    rootless::IdMapHelper helper = rootless::check_id_map_helper(name);
    if (!helper.usable) throw Error("create container: cannot set up the user namespace: " + helper.problem);
    std::vector<std::string> strings{*helper.path};
    for (auto& argument : rootless::id_map_arguments(child, mappings)) strings.push_back(std::move(argument));
    std::vector<char*> argv;
    for (auto& argument : strings) argv.push_back(argument.data());
    argv.push_back(nullptr);

    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_last_errno("pipe");
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    pid_t helper_pid = ::fork();
    if (helper_pid < 0) throw_last_errno("fork " + name);
    if (helper_pid == 0) {
        ::dup2(write_end.get(), STDOUT_FILENO);
        ::dup2(write_end.get(), STDERR_FILENO);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    write_end.reset();
    std::string output;
    char buffer[1024];
    for (ssize_t n; (n = ::read(read_end.get(), buffer, sizeof buffer)) != 0;) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        output.append(buffer, static_cast<std::size_t>(n));
    }
    int status = 0;
    while (::waitpid(helper_pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string why(trim(output));
    throw Error("create container: cannot set up the user namespace using " + name + ": " +
                (why.empty() ? "exit status " + std::to_string(exit_status_from_wait(status)) : why));
}

}  // namespace

bool maps_need_setgroups_deny(const ContainerPlan& plan, bool host_root) {
    return plan.user_namespace && !host_root && own_id_alone(plan.gid_mappings, ::getegid());
}

void write_child_id_maps(pid_t child, const ContainerPlan& plan) {
    if (!plan.user_namespace || plan.user_namespace_joined()) return;
    std::string proc = "/proc/" + std::to_string(child);
    bool root = ::geteuid() == 0;
    if (root || own_id_alone(plan.uid_mappings, ::geteuid()))
        write_proc_file(proc + "/uid_map", map_text(plan.uid_mappings));
    else
        run_map_helper("newuidmap", child, plan.uid_mappings);
    if (root) {
        write_proc_file(proc + "/gid_map", map_text(plan.gid_mappings));
    } else if (plan.setgroups_denied) {
        write_proc_file(proc + "/setgroups", "deny");
        write_proc_file(proc + "/gid_map", map_text(plan.gid_mappings));
    } else {
        run_map_helper("newgidmap", child, plan.gid_mappings);
    }
}

}  // namespace berth::runtime
