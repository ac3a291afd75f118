#include "cli/storage_context.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "rootless/user_namespace.hpp"
#include "storage/storage_paths.hpp"

namespace berth::cli {
namespace {

// What the child writes: a status byte ('0' success, else the exit status as a byte), then the text.
void write_all(int fd, const std::string& text) {
    size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        done += static_cast<size_t>(n);
    }
}

std::string read_all(int fd) {
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return text;
        text.append(buffer, static_cast<size_t>(n));
    }
}

[[noreturn]] void child_main(int fd, const std::function<std::string()>& work) {
    std::string message;
    int status = 0;
    try {
        rootless::enter_user_namespace(rootless::current_user_ids());
        message = work();
    } catch (const Error& error) {
        message = error.what();
        status = error.exit_status() == 0 ? exit_berth_error : error.exit_status();
    } catch (const std::exception& error) {
        message = error.what();
        status = exit_berth_error;
    }
    std::fflush(stdout);
    std::fflush(stderr);
    write_all(fd, std::string(1, static_cast<char>(status)) + message);
    ::_exit(0);
}

}  // namespace

StorageContext open_storage(const GlobalOptions& globals, bool will_write) {
    auto paths = storage::default_storage_paths(storage::PathEnvironment::from_process(), globals.root_override(),
                                                globals.runroot_override());
    StorageContext context{paths.graph_root, paths.run_root, ::geteuid() != 0};
    make_directories(context.graph_root, 0700);
    if (will_write && context.rootless) rootless::enter_user_namespace(rootless::current_user_ids());
    return context;
}

std::string run_with_storage_ids(const StorageContext& storage, const std::function<std::string()>& work) {
    if (!storage.rootless || rootless::in_user_namespace()) return work();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_last_errno("pipe");
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t child = ::fork();
    if (child < 0) throw_last_errno("fork");
    if (child == 0) {
        read_end.reset();
        child_main(write_end.get(), work);
    }
    write_end.reset();
    std::string reply = read_all(read_end.get());
    int wait_status = 0;
    while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    if (reply.empty()) throw Error("the storage process in the user namespace ended without a result");
    int status = static_cast<unsigned char>(reply[0]);
    if (status != 0) throw Error(reply.substr(1), status);
    return reply.substr(1);
}

void remove_storage_tree(const StorageContext& storage, const std::string& path) {
    try {
        remove_tree(path);
        return;
    } catch (const Error&) {
        if (!storage.rootless) throw;
    }
    run_with_storage_ids(storage, [&] {
        remove_tree(path);
        return std::string();
    });
}

}  // namespace berth::cli
