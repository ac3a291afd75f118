// The ExecStart= command line of a --new unit (Podman's, less `--cgroups=no-conmon`: berth's monitor always stays
// in the cgroup of the command that starts it, the unit's, which is what that option asks of conmon): the recorded
// create command turned into a detached `run` that records its id in a file systemd knows (%t/%n.ctr-id), replaces a
// stale container of the same name, and is removed when it stops.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace berth::systemd {

// `create_command` as recorded (argv[0], global options, `create` or `run` or `container create|run`, its options,
// then `trailing_arguments` words: the image and the container's command, copied as they are); `executable`
// replaces argv[0]. Options the unit sets itself (-d, --detach, --rm, --replace,
// --name, --cidfile, --cgroups, --sdnotify) are dropped from the original. Throws Error when no create or run
// command is found in it.
std::vector<std::string> new_container_command(const std::vector<std::string>& create_command,
                                               size_t trailing_arguments, const std::string& executable,
                                               const std::string& name);

}  // namespace berth::systemd
