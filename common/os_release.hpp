// The distribution this host runs, from os-release(5) (as `berth info` reports it).
#pragma once

#include <string>
#include <string_view>

namespace berth {

struct Distribution {
    std::string distribution;  // ID: "debian"
    std::string version;       // VERSION_ID: "12"
    std::string codename;      // VERSION_CODENAME: "bookworm"
    std::string variant;       // VARIANT_ID, mostly empty
};

// Parses os-release text: KEY=value lines, values optionally in single or double quotes with
// backslash escapes in double quotes; comments and malformed lines are skipped.
Distribution parse_os_release(std::string_view text);

// /etc/os-release, else /usr/lib/os-release; an empty Distribution when neither can be read.
Distribution host_distribution();

}  // namespace berth
