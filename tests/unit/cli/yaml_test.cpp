#include "cli/output/yaml.hpp"

#include <gtest/gtest.h>

namespace berth::cli {

TEST(Yaml, NestsMapsAndListsAndQuotesWhatNeedsIt) {
    nlohmann::json document = {{"host",
                                {{"arch", "amd64"},
                                 {"empty", ""},
                                 {"list", {"a", "b"}},
                                 {"maps", {{{"container_id", 0}, {"size", 1}}}},
                                 {"none", nlohmann::json::array()},
                                 {"number", "123"},
                                 {"rootless", true}}}};
    EXPECT_EQ(to_yaml(document),
              "host:\n"
              "  arch: amd64\n"
              "  empty: \"\"\n"
              "  list:\n"
              "  - a\n"
              "  - b\n"
              "  maps:\n"
              "  - container_id: 0\n"
              "    size: 1\n"
              "  none: []\n"
              "  number: \"123\"\n"
              "  rootless: true\n");
}

}  // namespace berth::cli
