// pod ps --filter and pod prune's choice, as Podman reads them: terms of one key match when any value matches,
// and every key must match.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pods/pod_record.hpp"

namespace berth::pods {

struct PodFilter {
    std::map<std::string, std::vector<std::string>> terms;  // name, id, label, status, ctr-names, ctr-ids, ...
    bool empty() const { return terms.empty(); }
};

// What a pod looks like to a filter besides its record.
struct PodFacts {
    std::string status;                        // pod_status(): "Running", "Exited", ...
    std::vector<std::string> container_names;  // its containers' names and ids
    std::vector<std::string> container_ids;
};

// Parses KEY=VALUE terms: name, id, label, status, ctr-names, ctr-ids, ctr-number. Podman's Error for another key:
// `KEY is an invalid filter`; for a bad status: `VALUE is not a valid status`.
PodFilter parse_pod_filter(const std::vector<std::string>& given);

// name= is a regular expression searched in the name; id= an id prefix; label=KEY or label=KEY=VALUE (every label
// term must hold); status= one of created, running, paused, exited, dead, stopped, degraded (case-insensitive).
bool pod_matches(const PodFilter& filter, const PodRecord& pod, const PodFacts& facts);

}  // namespace berth::pods
