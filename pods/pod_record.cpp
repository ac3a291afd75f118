#include "pods/pod_record.hpp"

#include <algorithm>

#include "common/error.hpp"
#include "common/strings.hpp"

namespace berth::pods {
namespace {

constexpr const char* known_namespaces[] = {"ipc", "net", "uts", "pid", "cgroup"};

void add_unique(std::vector<std::string>& spaces, const std::string& space) {
    if (space == "cgroup") return;
    if (std::find(spaces.begin(), spaces.end(), space) == spaces.end()) spaces.push_back(space);
}

void check_kind(const std::string& space) {
    if (std::find(std::begin(known_namespaces), std::end(known_namespaces), space) == std::end(known_namespaces))
        throw Error("share option \"" + space + "\" is not a valid namespace: invalid argument");
}

}  // namespace

bool PodRecord::shares(const std::string& space) const {
    return std::find(shared.begin(), shared.end(), space) != shared.end();
}

std::vector<std::string> parse_share(const std::string& value) {
    std::vector<std::string> spaces;
    if (value.empty() || value == "none") return spaces;
    bool adding = value.front() == '+';
    if (adding) spaces = default_shared_namespaces();
    for (const auto& part : split(adding ? value.substr(1) : value, ',')) {
        std::string space(trim(part));
        if (space.empty()) continue;
        check_kind(space);
        add_unique(spaces, space);
    }
    return spaces;
}

std::string parse_exit_policy(const std::string& value) {
    if (value.empty() || value == "continue") return "continue";
    if (value == "stop") return value;
    throw Error("running pod create option: invalid pod exit policy: \"" + value + "\"");
}

nlohmann::json to_json(const PodRecord& record) {
    nlohmann::json hosts = nlohmann::json::array();
    for (const auto& [name, address] : record.add_hosts) hosts.push_back({name, address});
    return {{"id", record.id},
            {"name", record.name},
            {"created_ns", record.created_ns},
            {"labels", record.labels},
            {"shared", record.shared},
            {"infra_id", record.infra_id},
            {"hostname", record.hostname},
            {"network", record.network},
            {"infra_command", record.infra_command},
            {"add_hosts", hosts},
            {"publish", record.publish},
            {"create_command", record.create_command},
            {"exit_policy", record.exit_policy}};
}

PodRecord pod_from_json(const nlohmann::json& json, const std::string& where) {
    try {
        PodRecord record;
        record.id = json.at("id").get<std::string>();
        record.name = json.at("name").get<std::string>();
        record.created_ns = json.value("created_ns", int64_t{0});
        record.labels = json.value("labels", std::map<std::string, std::string>{});
        record.shared = json.value("shared", std::vector<std::string>{});
        record.infra_id = json.value("infra_id", std::string());
        record.hostname = json.value("hostname", std::string());
        record.network = json.value("network", std::string());
        record.infra_command = json.value("infra_command", std::vector<std::string>{});
        for (const auto& host : json.value("add_hosts", nlohmann::json::array()))
            record.add_hosts.emplace_back(host.at(0).get<std::string>(), host.at(1).get<std::string>());
        record.publish = json.value("publish", std::vector<std::string>{});
        record.create_command = json.value("create_command", std::vector<std::string>{});
        record.exit_policy = json.value("exit_policy", std::string("continue"));
        if (record.id.empty() || record.name.empty()) throw Error("no id or name");
        return record;
    } catch (const nlohmann::json::exception& error) {
        throw Error(where + ": malformed pod record: " + error.what());
    } catch (const Error& error) {
        throw Error(where + ": malformed pod record: " + error.what());
    }
}

}  // namespace berth::pods
