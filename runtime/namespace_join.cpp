#include "runtime/namespace_join.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"

namespace berth::runtime {
namespace {

struct Namespace {
    const char* name;
    int type;
};
// The user namespace first (it grants the rights to join the others); mnt last, as it changes the root.
constexpr Namespace joined_namespaces[] = {{"user", CLONE_NEWUSER}, {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC},
                                           {"uts", CLONE_NEWUTS},   {"net", CLONE_NEWNET},       {"pid", CLONE_NEWPID},
                                           {"mnt", CLONE_NEWNS}};

bool same_namespace(pid_t pid, const char* name) {
    struct stat theirs {
    }, ours{};
    std::string path = "/proc/" + std::to_string(pid) + "/ns/" + name;
    if (::stat(path.c_str(), &theirs) != 0) return false;
    if (::stat((std::string("/proc/self/ns/") + name).c_str(), &ours) != 0) return false;
    return theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev;
}

// Root moves into the container's v1/v2 cgroups, as read from /proc/PID/cgroup; best effort elsewhere.
void join_cgroups(pid_t pid) {
    if (::geteuid() != 0) return;
    auto text = read_file_if_exists("/proc/" + std::to_string(pid) + "/cgroup");
    if (!text) return;
    std::string self = std::to_string(::getpid());
    for (const auto& line : split(*text, '\n')) {
        auto parts = split(line, ':');
        if (parts.size() < 3 || parts[2].empty()) continue;
        std::string controllers = parts[1];
        if (controllers.starts_with("name=")) controllers = controllers.substr(5);
        std::string mount = controllers.empty() ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup/" + controllers;
        std::string procs = mount + parts[2] + "/cgroup.procs";
        int fd = ::open(procs.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) continue;
        UniqueFd closer(fd);
        (void)!::write(fd, self.data(), self.size());
    }
}

}  // namespace

void join_namespaces(pid_t pid) {
    std::vector<std::pair<UniqueFd, const Namespace*>> fds;
    for (const auto& space : joined_namespaces) {
        if (same_namespace(pid, space.name)) continue;
        std::string path = "/proc/" + std::to_string(pid) + "/ns/" + space.name;
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd.valid()) throw_last_errno(std::string("exec: open the container's ") + space.name + " namespace");
        fds.emplace_back(std::move(fd), &space);
    }
    join_cgroups(pid);
    for (auto& [fd, space] : fds)
        if (::setns(fd.get(), space->type) != 0)
            throw_last_errno(std::string("exec: join the container's ") + space->name + " namespace");
}

}  // namespace berth::runtime
