#include "simnet/topology.h"

#include <gtest/gtest.h>

namespace herd::simnet {
namespace {

LinkSpec link(Duration latency, Duration jitter, std::uint64_t bps) {
  LinkSpec spec;
  spec.latency = latency;
  spec.jitter = jitter;
  spec.bandwidth_bps = bps;
  return spec;
}

TEST(TopologyTest, LanPathIsTheLanLatency) {
  Topology topology;
  ASSERT_TRUE(
      build_lan(topology, "dc1", link(microseconds(200), microseconds(50), 1'000'000'000)).is_ok());
  const int a = topology.add_host_link("dc1");
  const int b = topology.add_host_link("dc1");
  const auto path = topology.path(a, b);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->latency, microseconds(200));
  EXPECT_EQ(path->jitter, microseconds(50));
  EXPECT_EQ(path->bottleneck_bps, 1'000'000'000U);
}

TEST(TopologyTest, ShortestWanRouteAndRerouteWhenALinkGoesDown) {
  Topology topology;
  const LinkSpec lan = link(microseconds(100), Duration(0), 10'000'000'000);
  for (const char* dc : {"a", "b", "c"}) ASSERT_TRUE(topology.add_datacenter(dc, lan).is_ok());
  ASSERT_TRUE(
      topology.add_wan("a", "b", link(milliseconds(50), Duration(0), 1'000'000'000)).is_ok());
  ASSERT_TRUE(topology.add_wan("a", "c", link(milliseconds(10), Duration(0), 100'000'000)).is_ok());
  ASSERT_TRUE(
      topology.add_wan("c", "b", link(milliseconds(10), Duration(0), 1'000'000'000)).is_ok());
  const int x = topology.add_host_link("a");
  const int y = topology.add_host_link("b");
  auto path = topology.path(x, y);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->latency, microseconds(100) + milliseconds(20));  // via c
  EXPECT_EQ(path->bottleneck_bps, 100'000'000U);                   // the a-c link
  ASSERT_TRUE(topology.set_wan_up("a", "c", false).is_ok());
  path = topology.path(x, y);
  ASSERT_TRUE(path.has_value());
  EXPECT_EQ(path->latency, microseconds(100) + milliseconds(50));
  ASSERT_TRUE(topology.set_wan_up("a", "b", false).is_ok());
  EXPECT_FALSE(topology.path(x, y).has_value());
  EXPECT_FALSE(topology.set_wan_up("a", "zz", false).is_ok());
}

TEST(TopologyTest, DatacenterBuilderAndManagerLayouts) {
  Topology topology;
  ASSERT_TRUE(build_datacenters(topology, 3, LinkSpec{}, LinkSpec{}).is_ok());
  EXPECT_EQ(topology.datacenter_count(), 3U);
  EXPECT_TRUE(topology.has_datacenter("dc3"));
  EXPECT_EQ(manager_layout(5, 3), (std::vector<int>{2, 2, 1}));
  EXPECT_EQ(manager_layout(5, 4), (std::vector<int>{2, 1, 1, 1}));
  EXPECT_EQ(manager_layout(6, 4), (std::vector<int>{2, 2, 1, 1}));
  EXPECT_EQ(manager_layout(5, 1), (std::vector<int>{5}));
}

}  // namespace
}  // namespace herd::simnet
