// berth-runtime's command line (runc's conventions): global flags, the commands, their errors in runc's log
// format with exit status 1.
#pragma once

namespace berth::runtime {

int runtime_cli_main(int argc, char** argv);

}  // namespace berth::runtime
