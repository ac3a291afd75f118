// The host's platform in OCI terms (os, architecture, variant).
#pragma once

#include <string>
#include <string_view>

namespace berth {

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
    friend bool operator==(const Platform&, const Platform&) = default;
};

// The OCI (GOARCH) name of a kernel machine name: x86_64 is amd64, aarch64 is arm64, ...
Platform platform_of_machine(std::string_view machine);

// This host's platform, from uname(2).
Platform host_platform();

}  // namespace berth
