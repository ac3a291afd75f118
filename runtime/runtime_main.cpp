// berth-runtime: berth's OCI runtime as a command with runc's conventions, so that Podman (conmon), containerd
// and the OCI's validation suite can drive it:
//
//   berth-runtime [--root DIR] [--log FILE] [--log-format text|json] [--debug] [--systemd-cgroup]
//                 [--rootless true|false|auto] COMMAND ...
//
// create, start, state, kill, delete, run, list, ps, spec and features work on the containers of the state
// directory (runtime_cli.cpp); run-bundle runs a bundle in the foreground without a state directory (berth's
// tests). Errors go to the log in runc's format and exit with status 1; run exits with the container's status.
#include "runtime/runtime_cli.hpp"

int main(int argc, char** argv) { return berth::runtime::runtime_cli_main(argc, argv); }
