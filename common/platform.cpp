#include "common/platform.hpp"

#include <sys/utsname.h>

#include <array>
#include <utility>

namespace berth {

Platform platform_of_machine(std::string_view machine) {
    struct Row {
        std::string_view machine, architecture, variant;
    };
    static constexpr std::array<Row, 10> table{{
        {"x86_64", "amd64", ""},
        {"i686", "386", ""},
        {"i386", "386", ""},
        {"aarch64", "arm64", "v8"},
        {"armv7l", "arm", "v7"},
        {"armv6l", "arm", "v6"},
        {"ppc64le", "ppc64le", ""},
        {"s390x", "s390x", ""},
        {"riscv64", "riscv64", ""},
        {"mips64", "mips64", ""},
    }};
    for (const auto& row : table)
        if (row.machine == machine) return {"linux", std::string(row.architecture), std::string(row.variant)};
    return {"linux", std::string(machine), ""};
}

Platform host_platform() {
    utsname names{};
    ::uname(&names);
    return platform_of_machine(names.machine);
}

}  // namespace berth
