#include "common/interrupt.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "common/error.hpp"
#include "tests/unit/error_of.hpp"

namespace berth {
namespace {

using testing_support::error_of;

// Runs `body` in a child process (the handlers stay out of the test binary) and returns its wait status.
template <typename Body>
int in_child(Body body) {
    pid_t child = ::fork();
    if (child == 0) ::_exit(body());
    int status = 0;
    ::waitpid(child, &status, 0);
    return status;
}

TEST(Interrupt, TheFirstSignalIsRecordedAndTheSecondEndsTheProcess) {
    int status = in_child([] {
        install_interrupt_handlers();
        if (interrupt_signal() != 0 || error_of([] { throw_if_interrupted(); }) != "no error") return 1;
        ::raise(SIGTERM);
        if (interrupt_signal() != SIGTERM) return 2;
        try {
            throw_if_interrupted();
            return 3;
        } catch (const Error& error) {
            if (std::string(error.what()) != "interrupted by SIGTERM" || error.exit_status() != 143) return 4;
        }
        ::raise(SIGINT);  // a second signal: no clean-up, the process ends
        return 5;
    });
    ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << WEXITSTATUS(status);
    EXPECT_EQ(WTERMSIG(status), SIGINT);
}

TEST(Interrupt, SigintIsNamed) {
    int status = in_child([] {
        install_interrupt_handlers();
        ::raise(SIGINT);
        return error_of([] { throw_if_interrupted(); }) == "interrupted by SIGINT" ? 0 : 1;
    });
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace berth
