#include "common/platform.hpp"

#include <gtest/gtest.h>

namespace berth {

TEST(Platform, MapsKernelMachineNamesToOciArchitectures) {
    EXPECT_EQ(platform_of_machine("x86_64"), (Platform{"linux", "amd64", ""}));
    EXPECT_EQ(platform_of_machine("aarch64"), (Platform{"linux", "arm64", "v8"}));
    EXPECT_EQ(platform_of_machine("armv7l"), (Platform{"linux", "arm", "v7"}));
    EXPECT_EQ(platform_of_machine("weird"), (Platform{"linux", "weird", ""}));
}

}  // namespace berth
