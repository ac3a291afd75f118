#include "common/interrupt.hpp"

#include <signal.h>

#include <atomic>
#include <cstring>
#include <string>

#include "common/error.hpp"

namespace berth {
namespace {

std::atomic<int> received{0};
static_assert(std::atomic<int>::is_always_lock_free, "the signal handler needs a lock-free atomic");

void on_signal(int signal_number) {
    int expected = 0;
    if (received.compare_exchange_strong(expected, signal_number)) return;
    // Asked again: stop now.
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
}

}  // namespace

void install_interrupt_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    action.sa_flags = SA_RESTART;
    ::sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGINT, SIGTERM})
        if (::sigaction(signal_number, &action, nullptr) != 0) throw_last_errno("install a handler for signals");
}

int interrupt_signal() noexcept { return received.load(); }

void throw_if_interrupted() {
    int signal_number = received.load();
    if (signal_number == 0) return;
    std::string name = signal_number == SIGINT ? "SIGINT" : signal_number == SIGTERM ? "SIGTERM" : "a signal";
    throw Error("interrupted by " + name, 128 + signal_number);
}

}  // namespace berth
