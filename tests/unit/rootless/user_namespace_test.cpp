#include "rootless/user_namespace.hpp"

#include <gtest/gtest.h>

namespace berth::rootless {

TEST(UserNamespace, HelperArgumentsListEveryMapping) {
    auto arguments = id_map_arguments(42, {{0, 1000, 1}, {1, 100000, 65536}});
    EXPECT_EQ(arguments, (std::vector<std::string>{"42", "0", "1000", "1", "1", "100000", "65536"}));
}

TEST(UserNamespace, TheTestProcessStartsInTheInitialNamespace) { EXPECT_FALSE(in_user_namespace()); }

}  // namespace berth::rootless
