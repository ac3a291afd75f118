#include "common/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <vector>

#include "common/error.hpp"
#include "common/strings.hpp"
#include "common/unique_fd.hpp"

namespace berth {
namespace {

std::string read_all(int fd, const std::string& path) {
    std::string content;
    char buffer[16384];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_last_errno("read " + path);
        }
        if (n == 0) return content;
        content.append(buffer, static_cast<size_t>(n));
    }
}

void write_all(int fd, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_last_errno("write " + path);
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

std::string parent_directory(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

}  // namespace

std::optional<std::string> read_file_if_exists(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw_last_errno("open " + path);
    }
    return read_all(fd.get(), path);
}

std::string read_file(const std::string& path) {
    auto content = read_file_if_exists(path);
    if (!content) throw_errno("open " + path, ENOENT);
    return *content;
}

void write_file_atomic(const std::string& path, std::string_view content, unsigned mode, Durability durability) {
    std::string temporary = path + ".tmp-" + std::to_string(::getpid());
    {
        UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
        if (!fd) throw_last_errno("create " + temporary);
        write_all(fd.get(), content, temporary);
        if (durability == Durability::durable && ::fsync(fd.get()) != 0) throw_last_errno("fsync " + temporary);
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(temporary.c_str());
        throw_errno("rename " + temporary + " to " + path, err);
    }
    if (durability == Durability::atomic) return;
    UniqueFd dir(::open(parent_directory(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir) ::fsync(dir.get());
}

void make_directories(const std::string& path, unsigned mode) {
    if (path.empty()) return;
    std::string prefix;
    for (const auto& part : split(path, '/')) {
        if (part.empty()) {
            if (prefix.empty()) prefix = "/";
            continue;
        }
        if (!prefix.empty() && prefix.back() != '/') prefix += '/';
        prefix += part;
        if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) throw_last_errno("mkdir " + prefix);
    }
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) throw_last_errno("stat " + path);
    if (!S_ISDIR(st.st_mode)) throw_errno("mkdir " + path, ENOTDIR);
}

std::vector<std::string> list_directory(const std::string& path) {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
        if (errno == ENOENT) return names;
        throw_last_errno("open directory " + path);
    }
    errno = 0;
    while (const dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) throw_errno("read directory " + path, err);
    std::sort(names.begin(), names.end());
    return names;
}

bool path_exists(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0;
}

std::optional<std::string> find_in_path(std::string_view name) {
    auto is_executable = [](const std::string& candidate) {
        struct stat st {};
        return ::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0;
    };
    if (name.find('/') != std::string_view::npos) {
        std::string candidate(name);
        if (is_executable(candidate)) return candidate;
        return std::nullopt;
    }
    const char* path_env = std::getenv("PATH");
    std::string search = path_env ? path_env : "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
    for (const auto& dir : split(search, ':')) {
        if (dir.empty()) continue;
        std::string candidate = dir + "/" + std::string(name);
        if (is_executable(candidate)) return candidate;
    }
    return std::nullopt;
}

}  // namespace berth

namespace berth {
namespace {

void remove_entries_at(int dir_fd, const std::string& dir_path);

void remove_entry_at(int parent_fd, const std::string& name, const std::string& full_path) {
    struct stat st {};
    if (::fstatat(parent_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) return;
        throw_last_errno("stat " + full_path);
    }
    if (S_ISDIR(st.st_mode)) {
        if ((st.st_mode & S_IRWXU) != S_IRWXU) ::fchmodat(parent_fd, name.c_str(), st.st_mode | S_IRWXU, 0);
        UniqueFd child(::openat(parent_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child) {
            if (errno == ENOENT) return;  // removed meanwhile by someone else
            throw_last_errno("open " + full_path);
        }
        remove_entries_at(child.get(), full_path);
        if (::unlinkat(parent_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
            throw_last_errno("remove " + full_path);
        return;
    }
    if (::unlinkat(parent_fd, name.c_str(), 0) != 0 && errno != ENOENT) throw_last_errno("remove " + full_path);
}

void remove_entries_at(int dir_fd, const std::string& dir_path) {
    for (const auto& name : list_directory_at(dir_fd, dir_path)) remove_entry_at(dir_fd, name, dir_path + "/" + name);
}

}  // namespace

void remove_tree(const std::string& path) { remove_entry_at(AT_FDCWD, path, path); }

void remove_tree_at(int dir_fd, const std::string& name, const std::string& path) {
    remove_entry_at(dir_fd, name, path);
}

bool read_regular_file_at(int dir_fd, const std::string& name, const std::string& path, std::string& content) {
    UniqueFd fd(::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return false;
        throw_last_errno("open " + path);
    }
    char buffer[8192];
    content.clear();  // keeps its memory
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_last_errno("read " + path);
        content.append(buffer, static_cast<size_t>(n));
        if (static_cast<size_t>(n) < sizeof buffer) return true;
    }
}

std::vector<std::string> list_directory_at(int dir_fd, const std::string& path) {
    // A directory stream of its own (readdir's position is shared by duplicates), read from the start.
    UniqueFd listing_fd(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!listing_fd) throw_last_errno("open directory " + path);
    DIR* dir = ::fdopendir(listing_fd.get());
    if (dir == nullptr) throw_last_errno("open directory " + path);
    listing_fd.release();  // now owned by dir
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..") names.push_back(std::move(name));
        errno = 0;
    }
    int err = errno;
    ::closedir(dir);
    if (err != 0) throw_errno("read directory " + path, err);
    std::sort(names.begin(), names.end());
    return names;
}

TempDir::TempDir(const std::string& parent, const std::string& prefix) {
    std::string pattern = parent + "/" + prefix + "XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw_last_errno("create a temporary directory in " + parent);
    path_ = std::move(pattern);
}

TempDir::~TempDir() {
    try {
        remove_tree(path_);
    } catch (const Error&) {
        // Nothing sensible to do in a destructor; the directory's name tells what it was.
    }
}

}  // namespace berth
