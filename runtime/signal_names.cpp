#include "runtime/signal_names.hpp"

#include <signal.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace berth::runtime {
namespace {

std::string in_quotes(std::string_view text) { return "\"" + std::string(text) + "\""; }

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return out;
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

}  // namespace

int parse_signal(std::string_view name) {
    static const std::map<std::string, int, std::less<>> signals = {
        {"HUP", SIGHUP},   {"INT", SIGINT},       {"QUIT", SIGQUIT},     {"ILL", SIGILL},   {"TRAP", SIGTRAP},
        {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},       {"FPE", SIGFPE},   {"KILL", SIGKILL},
        {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},     {"USR2", SIGUSR2},     {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},
        {"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD},     {"CLD", SIGCHLD},  {"CONT", SIGCONT},
        {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},     {"TTIN", SIGTTIN},     {"TTOU", SIGTTOU}, {"URG", SIGURG},
        {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ},     {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH},
        {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},       {"SYS", SIGSYS}};
    std::string text = upper(trim(name));
    if (auto number = parse_unsigned(text)) {
        if (*number >= 1 && *number <= static_cast<unsigned long long>(SIGRTMAX)) return static_cast<int>(*number);
        throw Error("invalid signal " + in_quotes(name));
    }
    if (starts_with(text, "SIG")) text.erase(0, 3);
    if (auto found = signals.find(text); found != signals.end()) return found->second;
    auto offset = [&](std::string_view prefix, int base, int sign) -> std::optional<int> {
        if (!starts_with(text, prefix)) return std::nullopt;
        std::string_view rest = std::string_view(text).substr(prefix.size());
        if (rest.empty()) return base;
        if (rest.front() != (sign > 0 ? '+' : '-')) return std::nullopt;
        auto n = parse_unsigned(rest.substr(1));
        if (!n || *n > static_cast<unsigned long long>(SIGRTMAX - SIGRTMIN)) return std::nullopt;
        return base + sign * static_cast<int>(*n);
    };
    if (auto rt = offset("RTMIN", SIGRTMIN, 1)) return *rt;
    if (auto rt = offset("RTMAX", SIGRTMAX, -1)) return *rt;
    throw Error("invalid signal " + in_quotes(name));
}

}  // namespace berth::runtime
