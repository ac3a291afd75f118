#include "networks/network_store.hpp"

#include <gtest/gtest.h>

#include "common/error.hpp"
#include "common/files.hpp"
#include "networks/network_filter.hpp"
#include "networks/network_users.hpp"
#include "tests/unit/error_of.hpp"

namespace berth::networks {
namespace {

using testing_support::error_of;

// A definition as Podman 4.3 writes it.
constexpr const char* podman_definition = R"({
     "name": "testnet2",
     "id": "ae617f7213150fa8a9ab8708c526719781d37a61492a7f2309402891bc2edb87",
     "driver": "bridge",
     "network_interface": "podman2",
     "created": "2026-12-06T21:12:51.00536447Z",
     "subnets": [
          {
               "subnet": "10.50.0.0/16",
               "lease_range": {
                    "start_ip": "10.50.1.1",
                    "end_ip": "10.50.1.255"
               }
          }
     ],
     "ipv6_enabled": false,
     "internal": true,
     "dns_enabled": false,
     "labels": {
          "a": "b"
     },
     "options": {
          "mtu": "1400"
     },
     "ipam_options": {
          "driver": "host-local"
     }
}
)";

class NetworkStoreTest : public ::testing::Test {
protected:
    TempDir scratch{"/tmp", "network-store-test-"};
    NetworkStore store{scratch.path()};
};

TEST_F(NetworkStoreTest, ListsTheDefaultNetworkAlways) {
    auto networks = store.list();
    ASSERT_EQ(networks.size(), 1u);
    EXPECT_EQ(networks[0].name, "podman");
    EXPECT_EQ(networks[0].network_interface, "berth0");
    EXPECT_EQ(store.get("2f259bab93aa").name, "podman");
}

TEST_F(NetworkStoreTest, ReadsPodmansDefinitionsAndWritesTheSameDocument) {
    make_directories(store.directory());
    write_file_atomic(store.directory() + "/testnet2.json", podman_definition);
    auto network = store.get("testnet2");
    EXPECT_TRUE(network.internal);
    EXPECT_FALSE(network.dns_enabled);
    EXPECT_EQ(network.options.at("mtu"), "1400");
    EXPECT_EQ(network.subnets[0].lease_start, "10.50.1.1");
    EXPECT_EQ(network_to_json(network).dump(5) + "\n", podman_definition);
    EXPECT_EQ(store.get("ae617f72").name, "testnet2");
}

TEST_F(NetworkStoreTest, CreatesFindsAndRemoves) {
    CreateRequest request;
    request.name = "web";
    auto created = store.create(request);
    EXPECT_TRUE(path_exists(store.directory() + "/web.json"));
    EXPECT_EQ(store.get("web"), created);
    EXPECT_EQ(store.get(created.id.substr(0, 12)).name, "web");
    EXPECT_EQ(store.list().size(), 2u);
    store.remove("web");
    EXPECT_FALSE(store.find("web"));
    EXPECT_EQ(error_of([&] { store.remove("web"); }), "unable to find network with name or ID web: network not found");
    EXPECT_EQ(error_of([&] { store.remove("podman"); }), "default network podman cannot be removed");
}

TEST_F(NetworkStoreTest, SkipsDefinitionsItCannotRead) {
    make_directories(store.directory());
    write_file_atomic(store.directory() + "/broken.json", "{not json");
    EXPECT_EQ(store.list().size(), 1u);
}

TEST(NetworkFilterTest, MatchesPodmansFilterKeys) {
    Network network = default_network();
    network.name = "frontend";
    network.labels = {{"app", "web"}};
    network.created = "2026-12-06T21:12:51.00536447Z";
    auto unused = [] { return false; };
    auto matches = [&](std::vector<std::string> terms) {
        return network_matches(parse_network_filter(terms, {"name", "id", "label", "driver", "until", "dangling"}),
                               network, unused);
    };
    EXPECT_TRUE(matches({"name=front"}));
    EXPECT_TRUE(matches({"name=^front.*d$"}));
    EXPECT_FALSE(matches({"name=back"}));
    EXPECT_TRUE(matches({"name=back", "name=front"}));
    EXPECT_TRUE(matches({"id=2f259b"}));
    EXPECT_TRUE(matches({"label=app", "label=app=web"}));
    EXPECT_FALSE(matches({"label=app=db"}));
    EXPECT_TRUE(matches({"driver=bridge", "name=front"}));
    EXPECT_FALSE(matches({"driver=macvlan"}));
    EXPECT_TRUE(matches({"until=2027-01-01T00:00:00Z"}));
    EXPECT_FALSE(matches({"until=2026-12-01"}));
    EXPECT_TRUE(matches({"dangling=true"}));
    EXPECT_EQ(error_of([&] { parse_network_filter({"foo=bar"}, {"name"}); }), "invalid filter \"foo\"");
}

TEST(NetworkUsersTest, TakesTheNameOutOfAModeWithOptions) {
    EXPECT_EQ(network_name_of("web:ip=10.89.0.5,alias=db"), "web");
    EXPECT_EQ(network_name_of("web"), "web");
}

}  // namespace
}  // namespace berth::networks
