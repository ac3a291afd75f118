// Advisory whole-file locks (flock(2)) held for the lifetime of an object.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "common/unique_fd.hpp"

namespace berth {

// A held lock on a lock file. The file is created (mode 0600) when missing; acquiring waits until the lock is
// granted. The lock is released, and the file closed, when the object goes away.
//
// Each FileLock opens the file anew, so two FileLocks on one file exclude each other even within a process.
// A thread that already holds a lock on a file and asks to wait for a conflicting one would wait forever;
// that is refused with an Error instead. held_by_this_thread() lets code that may run inside a caller's lock
// skip taking it again.
class FileLock {
public:
    // Waits for an exclusive lock (one holder, no shared holders).
    static FileLock exclusive(const std::string& path);
    // Waits for a shared lock (any number of shared holders, no exclusive holder).
    static FileLock shared(const std::string& path);
    // Takes the lock only when it is free now; the returned object holds nothing when it is not.
    static FileLock try_exclusive(const std::string& path);
    static FileLock try_shared(const std::string& path);

    // Whether this thread holds a lock on the file at path (an exclusive one, when exclusive_only).
    static bool held_by_this_thread(const std::string& path, bool exclusive_only);

    FileLock() = default;
    FileLock(FileLock&& other) noexcept;
    FileLock& operator=(FileLock&& other) noexcept;
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;
    ~FileLock() { unlock(); }

    // Whether a lock is held (false for a default-constructed, moved-from or unlocked object, and after a
    // try_* that found the lock taken).
    bool held() const noexcept { return fd_.valid(); }
    explicit operator bool() const noexcept { return held(); }
    bool is_exclusive() const noexcept { return held() && exclusive_; }
    const std::string& path() const noexcept { return path_; }

    // Releases the lock now. The process that took it releases it explicitly (LOCK_UN), so a child that
    // inherited the descriptor across fork does not keep it; a child's copy of the object only closes it.
    void unlock() noexcept;

private:
    static FileLock acquire(const std::string& path, bool exclusive, bool wait);

    UniqueFd fd_;
    std::string path_;
    bool exclusive_ = false;
    dev_t device_ = 0;
    ino_t inode_ = 0;
    pid_t owner_process_ = 0;
    std::thread::id owner_thread_;
};

}  // namespace berth
