#include "netns/network_helpers.hpp"

#include <gtest/gtest.h>

namespace berth::netns {

TEST(NetworkHelpers, PastaIsPreferredOverSlirp4netns) {
    std::vector<NetworkHelper> both{{"pasta", "/usr/bin/pasta"}, {"slirp4netns", "/usr/bin/slirp4netns"}};
    EXPECT_EQ(default_network_helper(both)->name, "pasta");
    std::vector<NetworkHelper> slirp_only{{"pasta", std::nullopt}, {"slirp4netns", "/usr/bin/slirp4netns"}};
    EXPECT_EQ(default_network_helper(slirp_only)->name, "slirp4netns");
    std::vector<NetworkHelper> none{{"pasta", std::nullopt}, {"slirp4netns", std::nullopt}};
    EXPECT_FALSE(default_network_helper(none).has_value());
}

TEST(NetworkHelpers, FindsBothInOrder) {
    auto helpers = find_network_helpers();
    ASSERT_EQ(helpers.size(), 2u);
    EXPECT_EQ(helpers[0].name, "pasta");
    EXPECT_EQ(helpers[1].name, "slirp4netns");
}

}  // namespace berth::netns
