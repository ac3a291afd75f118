// A pod's record: <graph root>/pods/<id>/pod.json. A pod is a group of containers that share namespaces (by
// default ipc, net and uts, as in Podman) held by its infra container, which also publishes the pod's ports.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace berth::pods {

struct PodRecord {
    std::string id;  // 64 lower-case hex digits
    std::string name;
    int64_t created_ns = 0;  // unix time in nanoseconds
    std::map<std::string, std::string> labels;
    std::vector<std::string> shared;         // the namespaces its containers share: "ipc", "net", "uts", "pid"
    std::string infra_id;                    // "" with --no-infra
    std::string hostname;                    // the pod's hostname ("" is the pod's name)
    std::string network;                     // --network as given ("" the default)
    std::vector<std::string> infra_command;  // what the infra runs
    std::vector<std::pair<std::string, std::string>> add_hosts;  // --add-host NAME:IP
    std::vector<std::string> publish;                            // -p as given
    std::vector<std::string> create_command;                     // the command line that created it
    std::string exit_policy = "continue";  // --exit-policy: "stop" stops the infra once no other container runs

    bool shares(const std::string& space) const;
    bool operator==(const PodRecord&) const = default;
};

// Podman's default --share.
inline const std::vector<std::string>& default_shared_namespaces() {
    static const std::vector<std::string> spaces{"ipc", "net", "uts"};
    return spaces;
}

// --share: "ipc,net" (replaces the default), "+pid" (adds to it), "" (none, as "none"). Podman's error for an
// unknown kind. cgroup is accepted and ignored (berth's containers have a cgroup namespace each).
std::vector<std::string> parse_share(const std::string& value);

// --exit-policy: continue or stop; Podman's error for another value.
std::string parse_exit_policy(const std::string& value);

nlohmann::json to_json(const PodRecord& record);
// Error naming `where` for a malformed record.
PodRecord pod_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace berth::pods
