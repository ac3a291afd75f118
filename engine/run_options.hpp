// The flags of `berth run` and `berth create`, as Podman names them, after parsing. The parsers of each flag's
// value are in engine/runtime_spec.hpp; build_runtime_spec() turns these options and an image config into the
// container's OCI config.json.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "netns/port_mapping.hpp"

namespace berth::engine {

// A mount as the runtime spec has it: -v, --mount and --tmpfs all give one. A "volume" names a volume (source
// "" for an anonymous one); create_container() turns it into a bind mount of the volume's data (volumes/).
struct MountSpec {
    std::string type;  // "bind", "tmpfs" or "volume"
    std::string source;
    std::string destination;
    std::vector<std::string> options;  // final mount options (e.g. "ro", "rbind", "rprivate", "size=64m")
    bool copy_up = true;               // a volume: the image's content goes into it on first use ("nocopy": not)
    bool chown = false;                // "U": the source is given, recursively, to the container's user
    friend bool operator==(const MountSpec&, const MountSpec&) = default;
};

// One --ulimit: "nofile=1024:2048" is {"nofile", 1024, 2048}; -1 (unlimited) is UINT64_MAX.
struct Ulimit {
    std::string name;  // lower case, without RLIMIT_: "nofile", "nproc", "core", ...
    uint64_t soft = 0;
    uint64_t hard = 0;
    friend bool operator==(const Ulimit&, const Ulimit&) = default;
};

// --userns: "" and "private" are the default (rootless: the user's own id as root, then the subordinate ids).
enum class UsernsMode { default_mode, keep_id, host, nomap };

struct RunOptions {
    std::string name;                       // --name
    std::optional<std::string> entrypoint;  // --entrypoint: a command, or a JSON array; "" resets the image's
    std::vector<std::string> command;       // COMMAND [ARG...] after the image
    // --env-file variables (in file order) then --env ones, resolved (KEY alone taken from the caller's
    // environment); see collect_env().
    std::vector<std::pair<std::string, std::string>> env;
    std::string workdir;                 // -w/--workdir (absolute)
    std::string user;                    // -u/--user: "name[:group]" or "uid[:gid]"; "" is the image's User
    std::vector<std::string> group_add;  // --group-add: group names (looked up in the image) or numbers
    std::string hostname;                // -h/--hostname; "" is the first 12 characters of the container id
    std::vector<MountSpec> mounts;       // -v/--volume, --mount and --tmpfs, in the order given
    bool read_only = false;              // --read-only
    bool read_only_tmpfs = true;         // --read-only-tmpfs: with --read-only, tmpfs on /tmp, /var/tmp and /run
    std::vector<std::string> cap_add;    // --cap-add, normalised: "CAP_NET_ADMIN" or "ALL"
    std::vector<std::string> cap_drop;   // --cap-drop, normalised
    bool privileged = false;             // --privileged

    // --security-opt
    bool no_new_privileges = false;   // no-new-privileges[=true|false]
    std::string seccomp_profile;      // seccomp=: "" (berth's default profile), "unconfined" or a profile path
    std::vector<std::string> mask;    // mask=/a:/b: more masked paths
    std::vector<std::string> unmask;  // unmask=/a:/b (glob patterns) or "ALL": default masked/read-only paths to keep

    std::vector<Ulimit> ulimits;  // --ulimit
    UsernsMode userns = UsernsMode::default_mode;
    bool pid_host = false;  // --pid host
    bool ipc_host = false;  // --ipc host
    bool uts_host = false;  // --uts host
    std::string network;    // --network as given ("" the default); "host" shares the host's network namespace
    std::vector<netns::PortMapping> ports;  // -p/--publish (host port 0: a random one at create)
    bool publish_all = false;               // -P/--publish-all: the image's ExposedPorts on random host ports
    std::vector<std::string> dns;           // --dns: name servers
    std::vector<std::string> dns_search;    // --dns-search: search domains ("." for none)
    std::vector<std::string> dns_option;    // --dns-option
    std::vector<std::pair<std::string, std::string>> add_hosts;  // --add-host NAME:IP, in order
    std::optional<int64_t> memory;                               // --memory, bytes
    std::optional<double> cpus;                                  // --cpus
    std::optional<int64_t> pids_limit;                           // --pids-limit; 0 or -1 is unlimited
    bool init = false;                                           // --init
    std::map<std::string, std::string> labels;       // --label (the container record's, not the spec's, as in Podman)
    std::map<std::string, std::string> annotations;  // --annotation (the spec's annotations)
    bool rm = false;                                 // --rm
    bool tty = false;                                // -t/--tty
    bool interactive = false;                        // -i/--interactive

    // On a user-defined network: --ip, --mac-address and --network-alias.
    std::string ip;
    std::string mac_address;
    std::vector<std::string> network_aliases;
};

}  // namespace berth::engine
