#include "engine/monitor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/unique_fd.hpp"
#include "engine/container_log.hpp"
#include "engine/pod_containers.hpp"

namespace berth::engine {
namespace {

// What the monitor tells the starting process: 0 when the command runs, else the exit status and the error.
void report(int fd, int status, const std::string& message) {
    std::string text(1, static_cast<char>(status));
    text += message;
    while (::write(fd, text.data(), text.size()) < 0 && errno == EINTR) {
    }
}

std::string read_report(int fd) {
    std::string text;
    char buffer[1024];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return text;
        text.append(buffer, static_cast<size_t>(n));
    }
}

struct OutputPipes {
    UniqueFd out_read, err_read;
};

// Points the monitor's stdin at /dev/null and its stdout and stderr at pipes, which the container inherits; the
// read ends stay with the monitor (close-on-exec).
OutputPipes redirect_output(const std::string& stdin_fifo) {
    UniqueFd input(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!stdin_fifo.empty()) {
        // Opened read-write, the FIFO never reaches its end while the monitor lives: attach clients come and go.
        if (::mkfifo(stdin_fifo.c_str(), 0600) != 0 && errno != EEXIST) throw_last_errno("mkfifo " + stdin_fifo);
        input = UniqueFd(::open(stdin_fifo.c_str(), O_RDWR | O_CLOEXEC));
    }
    if (!input.valid()) throw_last_errno("open the container's stdin");
    if (::dup2(input.get(), STDIN_FILENO) < 0) throw_last_errno("dup2");
    OutputPipes pipes;
    for (int target : {STDOUT_FILENO, STDERR_FILENO}) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw_last_errno("pipe");
        UniqueFd read_end(fds[0]);
        UniqueFd write_end(fds[1]);
        if (::dup2(write_end.get(), target) < 0) throw_last_errno("dup2");
        (target == STDOUT_FILENO ? pipes.out_read : pipes.err_read) = std::move(read_end);
    }
    return pipes;
}

// Closes the monitor's own write ends, so that the relay sees the end of the output once the container's
// processes are gone.
void close_output() {
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0) return;
    ::dup2(null_fd, STDOUT_FILENO);
    ::dup2(null_fd, STDERR_FILENO);
    UniqueFd closer(null_fd);
}

// Copies both pipes into the log until both reach their end.
void relay_output(OutputPipes& pipes, LogWriter& log) {
    pollfd fds[2] = {{pipes.out_read.get(), POLLIN, 0}, {pipes.err_read.get(), POLLIN, 0}};
    int open_count = 2;
    char buffer[65536];
    while (open_count > 0) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        for (int index = 0; index < 2; ++index) {
            if (fds[index].fd < 0 || fds[index].revents == 0) continue;
            ssize_t n = ::read(fds[index].fd, buffer, sizeof buffer);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (n <= 0) {
                fds[index].fd = -1;
                --open_count;
                continue;
            }
            log.write(index == 0 ? LogStream::stdout_stream : LogStream::stderr_stream,
                      std::string_view(buffer, static_cast<size_t>(n)));
        }
    }
}

// The report goes once, then its pipe is closed: the starting process reads it to the end.
void run_with_policy(const StartRequest& request, UniqueFd& report_fd) {
    auto send = [&](int status, const std::string& message) {
        if (!report_fd.valid()) return;
        report(report_fd.get(), status, message);
        report_fd.reset();
    };
    bool restart = false;
    for (;;) {
        int status = 0;
        try {
            status = run_once(
                request, [&] { send(0, ""); }, restart);
        } catch (const Error& error) {
            send(error.exit_status(), error.what());
            return;  // a container that cannot start is not restarted
        }
        auto record = storage::ContainerStore(request.graph_root).find(request.id);
        if (!record || !should_restart(*record, status)) return;
        restart = true;
    }
}

// The log relay runs in a process of its own rather than a thread: the monitor clones the container and spawns
// newuidmap, and a child of a multi-threaded process may find glibc's locks held by a thread it does not have.
pid_t start_relay(OutputPipes& pipes, const std::string& log_path, uint64_t max_size, UniqueFd& report_fd) {
    pid_t relay = ::fork();
    if (relay < 0) throw_last_errno("start the log relay: fork");
    if (relay == 0) {
        report_fd.reset();  // the starting process reads the report pipe to its end
        close_output();     // its own copies of the write ends would keep the pipes open for ever
        try {
            LogWriter log(log_path, max_size);
            relay_output(pipes, log);
        } catch (const std::exception&) {
        }
        ::_exit(0);
    }
    pipes.out_read.reset();
    pipes.err_read.reset();
    return relay;
}

[[noreturn]] void monitor_main(const StartRequest& request, UniqueFd report_fd) {
    set_log_level(LogLevel::error);  // the monitor's own stderr is the container's log
    try {
        write_file_atomic(container_monitor_pid_path(request.graph_root, request.id), std::to_string(::getpid()) + "\n",
                          0644, Durability::atomic);
        auto record = storage::ContainerStore(request.graph_root).find(request.id);
        bool interactive = record && record->interactive;
        auto pipes = redirect_output(interactive ? container_attach_fifo(request.graph_root, request.id) : "");
        pid_t relay = start_relay(pipes, container_log_path(request.graph_root, request.id),
                                  record ? record->log_max_size : 0, report_fd);
        run_with_policy(request, report_fd);
        close_output();
        int status = 0;
        while (::waitpid(relay, &status, 0) < 0 && errno == EINTR) {
        }
        remove_if_asked(request);
    } catch (const std::exception& error) {
        if (report_fd.valid())
            report(report_fd.get(), exit_berth_error, std::string("container monitor: ") + error.what());
    }
    ::_exit(0);
}

}  // namespace

std::string container_attach_fifo(const std::string& graph_root, const std::string& id) {
    return storage::ContainerStore(graph_root).paths_of(id).userdata + "/attach";
}

std::string container_monitor_pid_path(const std::string& graph_root, const std::string& id) {
    return storage::ContainerStore(graph_root).paths_of(id).userdata + "/monitor.pid";
}

std::string container_log_path(const std::string& graph_root, const std::string& id) {
    return storage::ContainerStore(graph_root).paths_of(id).userdata + "/ctr.log";
}

bool should_restart(const storage::ContainerRecord& record, int status) {
    if (record.stopped_by_user) return false;
    if (record.restart_policy == "always" || record.restart_policy == "unless-stopped") return true;
    if (record.restart_policy == "on-failure")
        return status != 0 && (record.restart_max == 0 || record.restart_count < record.restart_max);
    return false;
}

void start_detached(const StartRequest& request) {
    start_pod_infra(request);
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_last_errno("start the container monitor: pipe");
    UniqueFd read_end(fds[0]);
    UniqueFd write_end(fds[1]);
    std::fflush(stdout);
    std::fflush(stderr);
    pid_t first = ::fork();
    if (first < 0) throw_last_errno("start the container monitor: fork");
    if (first == 0) {
        read_end.reset();
        ::setsid();
        pid_t monitor = ::fork();
        if (monitor != 0) ::_exit(monitor < 0 ? 1 : 0);
        monitor_main(request, std::move(write_end));
    }
    write_end.reset();
    int status = 0;
    while (::waitpid(first, &status, 0) < 0 && errno == EINTR) {
    }
    std::string reply = read_report(read_end.get());
    if (reply.empty()) throw Error("the container's monitor ended before the container started");
    int exit_status = static_cast<unsigned char>(reply[0]);
    if (exit_status != 0) throw Error(reply.substr(1), exit_status);
}

}  // namespace berth::engine
