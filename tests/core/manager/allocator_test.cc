#include "core/manager/allocator/allocator.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/core/manager/leader_harness.h"

namespace herd::manager {
namespace {

TEST(IpPoolTest, ParsesAndFormatsSubnets) {
  const Result<Subnet> subnet = parse_subnet("10.0.1.0/24");
  ASSERT_TRUE(subnet.ok());
  EXPECT_EQ(format_subnet(*subnet), "10.0.1.0/24");
  EXPECT_EQ(subnet->size(), 256U);
  for (const char* bad : {"10.0.1.0", "10.0.1.5/24", "10.0.1/24", "10.0.1.0/33", "10.0.1.0/x",
                          "300.0.0.0/8", "10.0.1.0/24/1"}) {
    EXPECT_FALSE(parse_subnet(bad).ok()) << bad;
  }
  EXPECT_EQ(*parse_address("10.0.1.5/24"), (10U << 24) | (1U << 8) | 5U);
}

TEST(IpPoolTest, HandsOutHostAddressesAndSkipsReserved) {
  IpPool pool(*parse_subnet("192.168.7.0/29"));  // .0 network, .1 gateway, .7 broadcast
  EXPECT_EQ(pool.gateway(), "192.168.7.1");
  std::vector<std::string> got;
  while (const auto address = pool.allocate()) got.push_back(format_address(*address));
  EXPECT_EQ(got, (std::vector<std::string>{"192.168.7.2", "192.168.7.3", "192.168.7.4",
                                           "192.168.7.5", "192.168.7.6"}));
  pool.release(*parse_address("192.168.7.4"));
  EXPECT_EQ(format_address(*pool.allocate()), "192.168.7.4");
  EXPECT_FALSE(pool.reserve(*parse_address("192.168.8.1")));
}

class AllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override { allocator_ = std::make_unique<Allocator>(h_.context); }

  std::string add_network(const std::string& name, bool ingress = false,
                          const std::string& subnet = "") {
    proto::Network network;
    network.mutable_meta()->set_id("net-" + name);
    network.mutable_spec()->set_name(name);
    network.mutable_spec()->set_ingress(ingress);
    network.mutable_spec()->mutable_ipam()->set_subnet(subnet);
    store::WriteTx tx;
    tx.create(network);
    h_.write(tx);
    return network.meta().id();
  }

  void add_service(const std::string& id, std::vector<std::string> networks,
                   std::vector<std::uint32_t> published = {}) {
    proto::Service service;
    service.mutable_meta()->set_id(id);
    service.mutable_spec()->set_name(id);
    for (const std::string& network : networks) {
      service.mutable_spec()->mutable_task()->add_networks()->set_target(network);
    }
    for (std::uint32_t port : published) {
      proto::PortConfig* config = service.mutable_spec()->mutable_endpoint()->add_ports();
      config->set_target_port(80);
      config->set_published_port(port);
    }
    store::WriteTx tx;
    tx.create(service);
    h_.write(tx);
  }

  void add_task(const std::string& id, const std::string& service_id) {
    proto::Task task;
    task.mutable_meta()->set_id(id);
    task.set_service_id(service_id);
    task.set_slot(1);
    task.mutable_status()->set_state(proto::TASK_STATE_NEW);
    task.set_desired_state(proto::TASK_STATE_RUNNING);
    store::WriteTx tx;
    tx.create(task);
    h_.write(tx);
  }

  const proto::Task& task(const std::string& id) { return *h_.store.get<proto::Task>(id); }
  const proto::Network& network(const std::string& id) { return *h_.store.get<proto::Network>(id); }

  LeaderHarness h_;
  std::unique_ptr<Allocator> allocator_;
};

TEST_F(AllocatorTest, TaskWithoutNetworksBecomesPending) {
  add_service("web", {});
  add_task("t1", "web");
  EXPECT_EQ(task("t1").status().state(), proto::TASK_STATE_PENDING);
  EXPECT_EQ(task("t1").networks_size(), 0);
}

TEST_F(AllocatorTest, NetworksGetSubnetsFromThePools) {
  const std::string a = add_network("front");
  const std::string b = add_network("back");
  const std::string ingress = add_network("ingress", true);
  const std::string fixed = add_network("fixed", false, "192.168.50.0/24");
  EXPECT_EQ(network(a).ipam().subnet(), "10.0.1.0/24");
  EXPECT_EQ(network(a).ipam().gateway(), "10.0.1.1");
  EXPECT_EQ(network(b).ipam().subnet(), "10.0.2.0/24");
  EXPECT_EQ(network(ingress).ipam().subnet(), "10.255.0.0/16");
  EXPECT_EQ(network(fixed).ipam().subnet(), "192.168.50.0/24");
}

TEST_F(AllocatorTest, ServicesGetPortsAndVipsThenTasksGetAddresses) {
  add_network("ingress", true);
  add_network("front");
  add_service("web", {"front"}, {0});
  add_service("api", {}, {0});
  const proto::Service& web = *h_.store.get<proto::Service>("web");
  ASSERT_EQ(web.endpoint().ports_size(), 1);
  EXPECT_EQ(web.endpoint().ports(0).published_port(), 30000U);
  ASSERT_EQ(web.endpoint().virtual_ips_size(), 2);
  EXPECT_EQ(web.endpoint().virtual_ips(0).addr(), "10.0.1.2/24");
  EXPECT_EQ(web.endpoint().virtual_ips(1).addr(), "10.255.0.2/16");
  EXPECT_EQ(h_.store.get<proto::Service>("api")->endpoint().ports(0).published_port(), 30001U);

  add_task("t1", "web");
  const proto::Task& t1 = task("t1");
  EXPECT_EQ(t1.status().state(), proto::TASK_STATE_PENDING);
  ASSERT_EQ(t1.networks_size(), 2);
  EXPECT_EQ(t1.networks(0).addresses(0), "10.0.1.3/24");
  EXPECT_EQ(t1.endpoint().ports(0).published_port(), 30000U);
}

TEST_F(AllocatorTest, PublishedPortConflictKeepsTasksNew) {
  add_network("ingress", true);
  add_service("web", {}, {8080});
  add_service("clash", {}, {8080});
  EXPECT_EQ(h_.store.get<proto::Service>("web")->endpoint().ports(0).published_port(), 8080U);
  EXPECT_EQ(h_.store.get<proto::Service>("clash")->endpoint().ports_size(), 0);
  add_task("t1", "clash");
  EXPECT_EQ(task("t1").status().state(), proto::TASK_STATE_NEW);
}

TEST_F(AllocatorTest, ExhaustedNetworkExplainsAndRecoversWhenAddressesFree) {
  add_network("tiny", false, "10.9.0.0/30");  // one host address
  add_service("web", {"tiny"});
  EXPECT_EQ(h_.store.get<proto::Service>("web")->endpoint().virtual_ips(0).addr(), "10.9.0.2/30")
      << "the VIP takes the only host address";
  add_task("t0", "web");
  EXPECT_EQ(task("t0").status().state(), proto::TASK_STATE_NEW);
  EXPECT_EQ(task("t0").status().pending_reason(), "network tiny has no free address");

  // Move the service to a /29: five host addresses, one for the new VIP, four for tasks.
  store::WriteTx tx;
  proto::Network wide;
  wide.mutable_meta()->set_id("net-wide");
  wide.mutable_spec()->set_name("wide");
  wide.mutable_spec()->mutable_ipam()->set_subnet("10.9.1.0/29");
  tx.create(wide);
  proto::Service service = *h_.store.get<proto::Service>("web");
  service.mutable_spec()->mutable_task()->mutable_networks(0)->set_target("wide");
  tx.update(service);
  h_.write(tx);
  EXPECT_EQ(task("t0").status().state(), proto::TASK_STATE_PENDING);
  for (int i = 1; i <= 4; ++i) add_task("t" + std::to_string(i), "web");
  for (int i = 1; i <= 3; ++i) {
    EXPECT_EQ(task("t" + std::to_string(i)).status().state(), proto::TASK_STATE_PENDING) << i;
  }
  EXPECT_EQ(task("t4").status().state(), proto::TASK_STATE_NEW);
  EXPECT_EQ(task("t4").status().pending_reason(), "network wide has no free address");

  // t1 ends: its address goes back to the pool and t4 gets one.
  proto::TaskStatus status = task("t1").status();
  status.set_state(proto::TASK_STATE_FAILED);
  store::WriteTx ended;
  ended.task_status("t1", 0, "", status);
  h_.write(ended);
  EXPECT_EQ(task("t4").status().state(), proto::TASK_STATE_PENDING);
  EXPECT_EQ(task("t4").networks(0).addresses(0), task("t1").networks(0).addresses(0));
}

TEST_F(AllocatorTest, RebuildsFromTheStoreOnANewLeader) {
  add_network("front");
  add_service("web", {"front"});
  add_task("t1", "web");
  allocator_.reset();
  allocator_ = std::make_unique<Allocator>(h_.context);  // a new leader
  add_task("t2", "web");
  EXPECT_NE(task("t2").networks(0).addresses(0), task("t1").networks(0).addresses(0));
  EXPECT_NE(task("t2").networks(0).addresses(0),
            h_.store.get<proto::Service>("web")->endpoint().virtual_ips(0).addr());
}

}  // namespace
}  // namespace herd::manager
