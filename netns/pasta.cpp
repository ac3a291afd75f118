#include "netns/pasta.hpp"

#include <chrono>
#include <thread>

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

namespace berth::netns {
namespace {

constexpr auto ready_timeout = std::chrono::seconds(10);
constexpr auto ready_poll = std::chrono::milliseconds(1);

std::string span(uint16_t first, uint16_t count) {
    if (count <= 1) return std::to_string(first);
    return std::to_string(first) + "-" + std::to_string(first + count - 1);
}

std::string forward_spec(const PortMapping& mapping) {
    std::string spec;
    if (!mapping.host_ip.empty()) spec = mapping.host_ip + "/";
    return spec + span(mapping.host_port, mapping.range) + ":" + span(mapping.container_port, mapping.range);
}

bool user_gave(const std::vector<std::string>& options, std::initializer_list<std::string_view> flags) {
    for (const auto& option : options)
        for (auto flag : flags)
            if (option == flag || option.starts_with(std::string(flag) + "=")) return true;
    return false;
}

bool namespace_has_route(pid_t pid) {
    std::string base = "/proc/" + std::to_string(pid) + "/net/";
    if (has_default_route(read_file_if_exists(base + "route").value_or(""))) return true;
    // An IPv6-only host: a default route "::/0" that is not on lo.
    for (const auto& line : split(read_file_if_exists(base + "ipv6_route").value_or(""), '\n'))
        if (line.starts_with("00000000000000000000000000000000 00") && !line.ends_with(" lo")) return true;
    return false;
}

}  // namespace

bool has_default_route(const std::string& proc_net_route) {
    bool header = true;
    for (const auto& line : split(proc_net_route, '\n')) {
        if (std::exchange(header, false)) continue;
        auto fields = split(line, '\t');
        if (fields.size() >= 2 && trim(fields[1]) == "00000000") return true;
    }
    return false;
}

std::vector<std::string> pasta_arguments(const PastaRequest& request) {
    std::vector<std::string> args{request.binary, "--config-net", "--foreground", "--quiet"};
    bool tcp = false, udp = false;
    for (const auto& mapping : request.ports) {
        bool is_udp = mapping.protocol == "udp";
        args.emplace_back(is_udp ? "-u" : "-t");
        args.push_back(forward_spec(mapping));
        (is_udp ? udp : tcp) = true;
    }
    const auto& options = request.mode->options;
    if (!tcp && !user_gave(options, {"-t", "--tcp-ports"})) args.insert(args.end(), {"-t", "none"});
    if (!udp && !user_gave(options, {"-u", "--udp-ports"})) args.insert(args.end(), {"-u", "none"});
    if (!user_gave(options, {"-T", "--tcp-ns"})) args.insert(args.end(), {"-T", "none"});
    if (!user_gave(options, {"-U", "--udp-ns"})) args.insert(args.end(), {"-U", "none"});
    args.insert(args.end(), options.begin(), options.end());
    args.push_back(std::to_string(request.pid));
    return args;
}

Pasta::Pasta(const PastaRequest& request) {
    HelperCommand command;
    command.argv = pasta_arguments(request);
    command.log_path = request.log_path;
    process_ = HelperProcess(command);
    auto deadline = std::chrono::steady_clock::now() + ready_timeout;
    while (!namespace_has_route(request.pid)) {
        if (auto status = process_.poll_exit()) {
            std::string line = last_log_line(request.log_path);
            throw Error("pasta failed: " + (line.empty() ? wait_status_text(*status) : line));
        }
        if (std::chrono::steady_clock::now() > deadline)
            throw Error("pasta failed: the container's interface was not configured in time");
        std::this_thread::sleep_for(ready_poll);
    }
}

}  // namespace berth::netns
