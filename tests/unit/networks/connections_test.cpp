#include "networks/connections.hpp"

#include <gtest/gtest.h>

#include "common/files.hpp"
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
