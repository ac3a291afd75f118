#include "netns/slirp4netns.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/error.hpp"
#include "netns/host_routes.hpp"

namespace berth::netns {
namespace {

constexpr int ready_timeout_ms = 10000;
constexpr const char* default_mtu = "65520";
constexpr const char* default_cidr = "10.0.2.0/24";

struct Pipe {
    UniqueFd read_end, write_end;
};

Pipe make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw_last_errno("slirp4netns: pipe");
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

std::string failure_text(const std::string& log_path, const std::string& fallback) {
    std::string line = last_log_line(log_path);
    return "slirp4netns failed: " + (line.empty() ? fallback : line);
}

// Waits for the ready byte on `fd`; Error with slirp4netns's message when it ends or takes too long.
void wait_until_ready(int fd, HelperProcess& process, const std::string& log_path) {
    pollfd ready{fd, POLLIN, 0};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ready_timeout_ms);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) throw Error(failure_text(log_path, "the interface was not configured in time"));
        int n = ::poll(&ready, 1, static_cast<int>(left.count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_last_errno("slirp4netns: poll");
        if (n == 0) continue;
        char byte = 0;
        ssize_t got = ::read(fd, &byte, 1);
        if (got == 1) return;
        auto status = process.poll_exit();
        throw Error(failure_text(log_path, status ? wait_status_text(*status) : "it closed its ready pipe"));
    }
}

// One API request: connect, send, read the reply to the end.
std::string api_call(const std::string& socket_path, const std::string& request) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) throw_last_errno("slirp4netns API: socket");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof address.sun_path)
        throw Error("slirp4netns API socket path is too long: " + socket_path);
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
        throw_last_errno("slirp4netns API: connect to " + socket_path);
    if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
        throw_last_errno("slirp4netns API: send");
    ::shutdown(fd.get(), SHUT_WR);
    std::string reply;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        reply.append(buffer, static_cast<size_t>(n));
    }
    return reply;
}

void add_port_forward(const std::string& socket_path, const std::string& request) {
    auto reply = nlohmann::json::parse(api_call(socket_path, request), nullptr, false);
    if (reply.is_discarded()) throw Error("slirp4netns API: add_hostfwd: the reply is not JSON");
    if (auto error = reply.find("error"); error != reply.end())
        throw Error("slirp4netns failed to publish a port: " + error->value("desc", error->dump()));
}

}  // namespace

std::vector<std::string> slirp4netns_arguments(const SlirpRequest& request) {
    const NetworkMode& mode = *request.mode;
    std::string mtu = option_value(mode, "mtu");
    std::vector<std::string> args{request.binary, "--configure",  "--mtu=" + (mtu.empty() ? default_mtu : mtu),
                                  "--exit-fd=3",  "--ready-fd=4", "--api-socket=" + request.api_socket};
    // berth lets the container reach the host's loopback through 10.0.2.2 (host.containers.internal) unless
    // allow_host_loopback=false; Podman disables it by default.
    if (option_value(mode, "allow_host_loopback") == "false") args.emplace_back("--disable-host-loopback");
    if (option_value(mode, "enable_ipv6") == "true") args.emplace_back("--enable-ipv6");
    if (auto cidr = option_value(mode, "cidr"); !cidr.empty()) args.push_back("--cidr=" + cidr);
    if (auto outbound = option_value(mode, "outbound_addr"); !outbound.empty())
        args.push_back("--outbound-addr=" + outbound);
    if (auto outbound = option_value(mode, "outbound_addr6"); !outbound.empty())
        args.push_back("--outbound-addr6=" + outbound);
    args.push_back(std::to_string(request.pid));
    args.emplace_back("tap0");
    return args;
}

std::vector<std::string> hostfwd_requests(const std::vector<PortMapping>& ports, const std::string& guest_address) {
    std::vector<std::string> requests;
    for (const auto& mapping : ports)
        for (uint16_t offset = 0; offset < mapping.range; ++offset) {
            nlohmann::json request = {{"execute", "add_hostfwd"},
                                      {"arguments",
                                       {{"proto", mapping.protocol},
                                        {"host_addr", mapping.host_ip.empty() ? "0.0.0.0" : mapping.host_ip},
                                        {"host_port", mapping.host_port + offset},
                                        {"guest_addr", guest_address},
                                        {"guest_port", mapping.container_port + offset}}}};
            requests.push_back(request.dump());
        }
    return requests;
}

Slirp4netns::Slirp4netns(const SlirpRequest& request) : api_socket_(request.api_socket) {
    ::unlink(request.api_socket.c_str());
    Pipe exit_pipe = make_pipe();
    Pipe ready_pipe = make_pipe();
    HelperCommand command;
    command.argv = slirp4netns_arguments(request);
    command.pass_fds = {exit_pipe.read_end.get(), ready_pipe.write_end.get()};
    command.log_path = request.log_path;
    process_ = HelperProcess(command);
    exit_write_ = std::move(exit_pipe.write_end);
    ready_pipe.write_end.reset();
    exit_pipe.read_end.reset();
    wait_until_ready(ready_pipe.read_end.get(), process_, request.log_path);
    std::string cidr = option_value(*request.mode, "cidr");
    std::string guest = slirp_addresses(cidr.empty() ? default_cidr : cidr).container;
    for (const auto& forward : hostfwd_requests(request.ports, guest)) add_port_forward(api_socket_, forward);
}

Slirp4netns::~Slirp4netns() {
    exit_write_.reset();  // slirp4netns ends when its exit fd closes
    process_.stop();
    if (!api_socket_.empty()) ::unlink(api_socket_.c_str());
}

}  // namespace berth::netns
