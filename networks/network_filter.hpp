// network ls --filter and network prune --filter, as Podman reads them: terms of different keys must all hold,
// values of one key are alternatives.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "networks/network_record.hpp"

namespace berth::networks {

struct NetworkFilter {
    std::map<std::string, std::vector<std::string>> terms;  // key -> values
    bool empty() const { return terms.empty(); }
};

// Parses KEY=VALUE terms; `keys` are the ones allowed (ls: name, id, label, driver, until, dangling; prune:
// label, until). Podman's Error for another key: "invalid filter \"KEY\"".
NetworkFilter parse_network_filter(const std::vector<std::string>& given, const std::vector<std::string>& keys);

// Whether the network passes; `in_use` tells whether containers use it (dangling=).
// name= is a regular expression searched in the name, id= a prefix of the id, label=KEY or label=KEY=VALUE (and
// label!=...), driver= the driver, until= a time (RFC 3339 or Unix seconds) the network was created before.
bool network_matches(const NetworkFilter& filter, const Network& network, const std::function<bool()>& in_use);

}  // namespace berth::networks
