#include "storage/storage_paths.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "common/error.hpp"

namespace berth::storage {
namespace {

std::optional<std::string> non_empty_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

std::string home_of(uid_t uid) {
    if (auto home = non_empty_env("HOME")) return *home;
    if (const passwd* entry = ::getpwuid(uid)) return entry->pw_dir;
    return "/";
}

}  // namespace

PathEnvironment PathEnvironment::from_process() {
    PathEnvironment env;
    env.uid = ::geteuid();
    env.home = home_of(env.uid);
    env.xdg_data_home = non_empty_env("XDG_DATA_HOME");
    env.xdg_runtime_dir = non_empty_env("XDG_RUNTIME_DIR");
    return env;
}

std::string runtime_dir_problem(const std::string& path, uid_t uid) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return path + ": " + errno_text(errno);
    if (!S_ISDIR(st.st_mode)) return path + " is not a directory";
    if (st.st_uid != uid) return path + " is not owned by uid " + std::to_string(uid);
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) return path + " is writable by other users";
    return {};
}

StoragePaths default_storage_paths(const PathEnvironment& env, const std::optional<std::string>& root_override,
                                   const std::optional<std::string>& runroot_override) {
    StoragePaths paths;
    if (env.uid == 0) {
        paths.graph_root = "/var/lib/berth";
        paths.run_root = "/run/berth";
    } else {
        std::string data_home = env.xdg_data_home.value_or(env.home + "/.local/share");
        paths.graph_root = data_home + "/berth";
        std::string problem = env.xdg_runtime_dir ? runtime_dir_problem(*env.xdg_runtime_dir, env.uid)
                                                  : std::string("XDG_RUNTIME_DIR is not set");
        if (problem.empty()) {
            paths.run_root = *env.xdg_runtime_dir + "/berth";
        } else {
            paths.run_root = "/tmp/berth-run-" + std::to_string(env.uid);
            paths.run_root_note = problem;
        }
    }
    if (root_override) paths.graph_root = *root_override;
    if (runroot_override) {
        paths.run_root = *runroot_override;
        paths.run_root_note.clear();
    }
    return paths;
}

}  // namespace berth::storage
