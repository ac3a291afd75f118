#include "networks/connections.hpp"

#include <gtest/gtest.h>

#include "common/files.hpp"
#include "networks/network_status.hpp"
#include "networks/network_users.hpp"
#include "storage/container_store.hpp"

namespace berth::networks {
namespace {

TEST(ConnectionsTest, ConnectedNetworksCountAsTheContainersNetworks) {
    TempDir scratch{"/tmp", "connections-test-"};
    storage::ContainerRecord record;
    record.id = std::string(64, 'c');
    record.network = "front:alias=web";
    make_directories(storage::ContainerStore(scratch.path()).paths_of(record.id).userdata);
    EXPECT_TRUE(read_connections(scratch.path(), record.id).empty());
    write_connections(scratch.path(), record.id, {"back:interface_name=eth1", "db:alias=x,interface_name=eth2"});
    EXPECT_EQ(read_connections(scratch.path(), record.id),
              (std::vector<std::string>{"back:interface_name=eth1", "db:alias=x,interface_name=eth2"}));
    EXPECT_TRUE(connected_to(scratch.path(), record, "front"));
    EXPECT_TRUE(connected_to(scratch.path(), record, "db"));
    EXPECT_FALSE(connected_to(scratch.path(), record, "other"));
}

}  // namespace
}  // namespace berth::networks

namespace berth::networks {
namespace {

TEST(NetworkStatusTest, InspectShowsWhatEachNetworkGave) {
    TempDir scratch{"/tmp", "network-status-test-"};
    storage::ContainerRecord record;
    record.id = std::string(64, 'd');
    record.network = "front:alias=web";
    make_directories(storage::ContainerStore(scratch.path()).paths_of(record.id).userdata);
    auto result = nlohmann::json::parse(R"({"front": {"interfaces": {"eth0": {"mac_address": "aa:bb:cc:dd:ee:ff",
        "subnets": [{"ipnet": "10.89.0.2/24", "gateway": "10.89.0.1"}]}}}})");
    record_network_status(scratch.path(), record.id, "front", status_entry(result, "front", {"web"}));
    auto networks = networks_settings(scratch.path(), record);
    EXPECT_EQ(networks["front"]["IPAddress"], "10.89.0.2");
    EXPECT_EQ(networks["front"]["IPPrefixLen"], 24);
    EXPECT_EQ(networks["front"]["Gateway"], "10.89.0.1");
    EXPECT_EQ(networks["front"]["MacAddress"], "aa:bb:cc:dd:ee:ff");
    EXPECT_EQ(networks["front"]["NetworkID"], "front");
    forget_network_status(scratch.path(), record.id, "front");
    EXPECT_EQ(networks_settings(scratch.path(), record)["front"]["IPAddress"], "");
    record.network = "slirp4netns";
    EXPECT_TRUE(networks_settings(scratch.path(), record).is_null());
}

}  // namespace
}  // namespace berth::networks
