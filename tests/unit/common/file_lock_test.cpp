#include "common/file_lock.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "common/error.hpp"
#include "common/files.hpp"

namespace berth {
namespace {

std::string scratch_parent() {
    const char* tmp = std::getenv("TMPDIR");
    return tmp ? tmp : "/tmp";
}

// A child process that takes a lock on path (shared or exclusive), writes one byte to the pipe once it holds
// it, and exits when the parent closes its end of the other pipe.
struct LockingChild {
    pid_t pid = -1;
    UniqueFd acquired;  // readable (one byte) once the child holds the lock
    UniqueFd release;   // closing it lets the child exit

    LockingChild(const std::string& path, bool exclusive) {
        int acquired_pipe[2];
        int release_pipe[2];
        if (::pipe2(acquired_pipe, O_CLOEXEC) != 0 || ::pipe2(release_pipe, O_CLOEXEC) != 0) std::abort();
        pid = ::fork();
        if (pid == 0) {
            // Keep only this child's pipe ends: another child's inherited release end would keep it waiting.
            for (int fd = 3; fd < 1024; ++fd)
                if (fd != acquired_pipe[1] && fd != release_pipe[0]) ::close(fd);
            try {
                auto lock = exclusive ? FileLock::exclusive(path) : FileLock::shared(path);
                char byte = 'L';
                if (::write(acquired_pipe[1], &byte, 1) != 1) ::_exit(2);
                char ignored;
                while (::read(release_pipe[0], &ignored, 1) > 0) {
                }
                lock.unlock();
                ::_exit(0);
            } catch (...) {
                ::_exit(3);
            }
        }
        ::close(acquired_pipe[1]);
        ::close(release_pipe[0]);
        acquired.reset(acquired_pipe[0]);
        release.reset(release_pipe[1]);
    }

    // Whether the child reports holding the lock within the time (a short time asks "does it hold it now").
    bool holds_lock_within(int milliseconds) {
        pollfd entry{acquired.get(), POLLIN, 0};
        if (::poll(&entry, 1, milliseconds) != 1) return false;
        char byte = 0;
        return ::read(acquired.get(), &byte, 1) == 1 && byte == 'L';
    }

    int finish() {
        release.reset();
        int status = 0;
        ::waitpid(pid, &status, 0);
        pid = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }

    ~LockingChild() {
        if (pid > 0) finish();
    }
};

TEST(FileLock, CreatesTheLockFilePrivately) {
    TempDir dir(scratch_parent(), "berth-lock-test-");
    std::string path = dir.path() + "/storage.lock";
    {
        auto lock = FileLock::exclusive(path);
        EXPECT_TRUE(lock.held());
        EXPECT_TRUE(lock.is_exclusive());
        EXPECT_EQ(lock.path(), path);
    }
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(FileLock, MissingDirectoryIsAnErrorNamingThePath) {
    try {
        FileLock::shared("/nonexistent/berth/storage.lock");
        FAIL() << "no error";
    } catch (const Error& error) {
        EXPECT_STREQ(error.what(), "open lock file /nonexistent/berth/storage.lock: No such file or directory");
    }
}

TEST(FileLock, ChildWaitsForTheParentsExclusiveLock) {
    TempDir dir(scratch_parent(), "berth-lock-test-");
    std::string path = dir.path() + "/storage.lock";
    auto lock = FileLock::exclusive(path);
    LockingChild child(path, true);
    // The child is blocked in flock while the parent holds the lock.
    EXPECT_FALSE(child.holds_lock_within(200));
    lock.unlock();
    EXPECT_FALSE(lock.held());
    // Once released, the child gets it (a generous bound; it is normally immediate).
    EXPECT_TRUE(child.holds_lock_within(10000));
    // And now the parent cannot take it without waiting.
    EXPECT_FALSE(FileLock::try_exclusive(path).held());
    EXPECT_FALSE(FileLock::try_shared(path).held());
    EXPECT_EQ(child.finish(), 0);
    EXPECT_TRUE(FileLock::try_exclusive(path).held());
}

TEST(FileLock, SharedLocksCoexistButExcludeExclusiveOnes) {
    TempDir dir(scratch_parent(), "berth-lock-test-");
    std::string path = dir.path() + "/storage.lock";
    auto lock = FileLock::shared(path);
    LockingChild reader(path, false);
    EXPECT_TRUE(reader.holds_lock_within(10000));
    LockingChild writer(path, true);
    EXPECT_FALSE(writer.holds_lock_within(200));
    lock.unlock();
    EXPECT_FALSE(writer.holds_lock_within(200));  // the other reader still holds it
    EXPECT_EQ(reader.finish(), 0);
    EXPECT_TRUE(writer.holds_lock_within(10000));
    EXPECT_EQ(writer.finish(), 0);
}

TEST(FileLock, DestructionAndMovesReleaseExactlyOnce) {
    TempDir dir(scratch_parent(), "berth-lock-test-");
    std::string path = dir.path() + "/storage.lock";
    {
        auto first = FileLock::exclusive(path);
        FileLock second(std::move(first));
        // A moved-from lock holds nothing.
        EXPECT_FALSE(first.held());  // NOLINT(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
        EXPECT_TRUE(second.held());
        FileLock third;
        third = std::move(second);
        EXPECT_TRUE(third.held());
        EXPECT_FALSE(FileLock::try_exclusive(path).held());
    }
    EXPECT_TRUE(FileLock::try_exclusive(path).held());
    // Assigning over a held lock releases it.
    auto held = FileLock::exclusive(path);
    held = FileLock();
    EXPECT_TRUE(FileLock::try_exclusive(path).held());
}

TEST(FileLock, ChildExitDoesNotKeepTheParentsLockOrReleaseIt) {
    TempDir dir(scratch_parent(), "berth-lock-test-");
    std::string path = dir.path() + "/storage.lock";
    auto lock = FileLock::exclusive(path);
    pid_t pid = ::fork();
    if (pid == 0) {
        // The child's copy of the object only closes its descriptor; the parent's lock stays.
        lock.unlock();
        ::_exit(0);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_FALSE(FileLock::try_exclusive(path).held());
    lock.unlock();
    EXPECT_TRUE(FileLock::try_exclusive(path).held());
}

TEST(FileLock, WaitingForItselfIsRefusedAndTracked) {
    TempDir dir(scratch_parent(), "berth-lock-test-");
    std::string path = dir.path() + "/storage.lock";
    EXPECT_FALSE(FileLock::held_by_this_thread(path, false));
    {
        auto shared = FileLock::shared(path);
        EXPECT_TRUE(FileLock::held_by_this_thread(path, false));
        EXPECT_FALSE(FileLock::held_by_this_thread(path, true));
        EXPECT_THROW(FileLock::exclusive(path), Error);
        auto second_shared = FileLock::shared(path);  // shared locks do not conflict
        EXPECT_TRUE(second_shared.held());
    }
    EXPECT_FALSE(FileLock::held_by_this_thread(path, false));
    auto exclusive = FileLock::exclusive(path);
    EXPECT_TRUE(FileLock::held_by_this_thread(path, true));
    EXPECT_THROW(FileLock::shared(path), Error);
    EXPECT_THROW(FileLock::exclusive(path), Error);
    exclusive.unlock();
    EXPECT_FALSE(FileLock::held_by_this_thread(path, false));
}

}  // namespace
}  // namespace berth
