// SIGINT and SIGTERM as a request to stop: long operations (pulls) notice it, unwind and remove their temporary files
// on the way out, instead of dying with them left behind.
#pragma once

namespace berth {

// Installs the handlers: the first SIGINT or SIGTERM is recorded for interrupt_signal(); a second one ends the process
// at once, as the signal would have without a handler.
void install_interrupt_handlers();

// The signal that asked to stop, or 0.
int interrupt_signal() noexcept;

// Throws Error("interrupted by SIGTERM", 128 + the signal's number) once a signal asked to stop.
void throw_if_interrupted();

}  // namespace berth
