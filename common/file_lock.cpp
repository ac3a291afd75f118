#include "common/file_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <map>
#include <mutex>
#include <tuple>

#include "common/error.hpp"

namespace berth {
namespace {

// The locks held in this process: per lock file and thread, how many exclusive and shared ones.
struct HeldCounts {
    int exclusive = 0;
    int shared = 0;
};
using HeldKey = std::tuple<dev_t, ino_t, pid_t, std::thread::id>;

std::mutex held_mutex;
std::map<HeldKey, HeldCounts>& held_locks() {
    static std::map<HeldKey, HeldCounts> locks;
    return locks;
}

HeldCounts held_counts(const HeldKey& key) {
    std::lock_guard guard(held_mutex);
    auto found = held_locks().find(key);
    return found == held_locks().end() ? HeldCounts{} : found->second;
}

void count_held(const HeldKey& key, bool exclusive, int change) {
    std::lock_guard guard(held_mutex);
    auto& counts = held_locks()[key];
    (exclusive ? counts.exclusive : counts.shared) += change;
    if (counts.exclusive <= 0 && counts.shared <= 0) held_locks().erase(key);
}

}  // namespace

FileLock FileLock::acquire(const std::string& path, bool exclusive, bool wait) {
    const char* kind = exclusive ? "exclusive" : "shared";
    UniqueFd fd;
    do {
        fd.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600));
    } while (!fd && errno == EINTR);
    if (!fd) throw_last_errno("open lock file " + path);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_last_errno("stat lock file " + path);

    pid_t process = ::getpid();
    auto thread = std::this_thread::get_id();
    if (wait) {
        auto counts = held_counts({st.st_dev, st.st_ino, process, thread});
        if (counts.exclusive > 0 || (exclusive && counts.shared > 0))
            throw Error(std::string("take ") + kind + " lock on " + path +
                        ": this thread already holds a lock on it and would wait for itself forever");
    }
    int operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
    while (::flock(fd.get(), operation) != 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK && !wait) return FileLock();
        throw_last_errno(std::string("take ") + kind + " lock on " + path);
    }

    FileLock lock;
    lock.fd_ = std::move(fd);
    lock.path_ = path;
    lock.exclusive_ = exclusive;
    lock.device_ = st.st_dev;
    lock.inode_ = st.st_ino;
    lock.owner_process_ = process;
    lock.owner_thread_ = thread;
    count_held({lock.device_, lock.inode_, process, thread}, exclusive, +1);
    return lock;
}

FileLock FileLock::exclusive(const std::string& path) { return acquire(path, true, true); }
FileLock FileLock::shared(const std::string& path) { return acquire(path, false, true); }
FileLock FileLock::try_exclusive(const std::string& path) { return acquire(path, true, false); }
FileLock FileLock::try_shared(const std::string& path) { return acquire(path, false, false); }

bool FileLock::held_by_this_thread(const std::string& path, bool exclusive_only) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return false;
    auto counts = held_counts({st.st_dev, st.st_ino, ::getpid(), std::this_thread::get_id()});
    return counts.exclusive > 0 || (!exclusive_only && counts.shared > 0);
}

FileLock::FileLock(FileLock&& other) noexcept
    : fd_(std::move(other.fd_)),
      path_(std::move(other.path_)),
      exclusive_(other.exclusive_),
      device_(other.device_),
      inode_(other.inode_),
      owner_process_(other.owner_process_),
      owner_thread_(other.owner_thread_) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
    if (this != &other) {
        unlock();
        fd_ = std::move(other.fd_);
        path_ = std::move(other.path_);
        exclusive_ = other.exclusive_;
        device_ = other.device_;
        inode_ = other.inode_;
        owner_process_ = other.owner_process_;
        owner_thread_ = other.owner_thread_;
    }
    return *this;
}

void FileLock::unlock() noexcept {
    if (!fd_) return;
    if (::getpid() == owner_process_) {
        while (::flock(fd_.get(), LOCK_UN) != 0 && errno == EINTR) {
        }
        try {
            count_held({device_, inode_, owner_process_, owner_thread_}, exclusive_, -1);
        } catch (...) {
            // Decrementing an existing entry does not allocate; nothing else can fail.
        }
    }
    fd_.reset();
    path_.clear();
}

}  // namespace berth
