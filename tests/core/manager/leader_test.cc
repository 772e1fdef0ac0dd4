#include "core/manager/leader.h"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "core/manager/cluster_bootstrap.h"
#include "tests/core/manager/leader_harness.h"

namespace herd::manager {
namespace {

class LeaderTest : public ::testing::Test {
 protected:
  void add_worker(const std::string& id, std::map<std::string, std::string> labels = {}) {
    proto::Node node;
    node.mutable_meta()->set_id(id);
    node.mutable_description()->set_hostname(id);
    node.mutable_description()->mutable_resources()->set_nano_cpus(4'000'000'000);
    node.mutable_description()->mutable_resources()->set_memory_bytes(8LL << 30);
    node.mutable_status()->set_state(proto::NODE_STATE_READY);
    for (const auto& [k, v] : labels) (*node.mutable_spec()->mutable_labels())[k] = v;
    store::WriteTx tx;
    tx.create(node);
    h_.write(tx);
  }

  proto::ControlResponse call(const proto::ControlRequest& request) {
    std::optional<proto::ControlResponse> response;
    leader_->control_api().handle(request, [&](proto::ControlResponse r) { response = r; });
    run_for(seconds(2));
    EXPECT_TRUE(response.has_value());
    return response.value_or(proto::ControlResponse());
  }

  // Lets time pass in small steps so timers (scheduler debounce, restarts) fire and their
  // proposals commit.
  void run_for(Duration d) {
    const TimePoint end = h_.clock.now() + d;
    while (h_.clock.now() < end) {
      h_.proposer.settle();
      h_.clock.advance(milliseconds(10));
    }
    h_.proposer.settle();
  }

  std::map<std::string, int> assigned_per_node() const {
    std::map<std::string, int> counts;
    for (const auto& [id, task] : h_.store.table<proto::Task>().all()) {
      if (task.status().state() == proto::TASK_STATE_ASSIGNED) ++counts[task.node_id()];
    }
    return counts;
  }

  std::unique_ptr<Leader> make_leader() {
    return std::make_unique<Leader>(h_.context, nullptr,
                                    [] { return std::vector<proto::ManagerPeer>(); });
  }

  LeaderHarness h_;
  std::unique_ptr<Leader> leader_;
};

TEST_F(LeaderTest, BootstrapsAnEmptyClusterOnce) {
  leader_ = make_leader();
  run_for(milliseconds(100));
  ASSERT_EQ(h_.store.table<proto::Cluster>().size(), 1U);
  const proto::Cluster& cluster = h_.store.table<proto::Cluster>().all().begin()->second;
  EXPECT_EQ(cluster.spec().name(), "default");
  EXPECT_EQ(cluster.spec().dispatcher().heartbeat_period_ns(), Duration(seconds(5)).count());
  EXPECT_TRUE(cluster.root_ca().join_tokens().worker().starts_with("SWMTKN-1-"));
  const proto::Network* ingress = h_.store.table<proto::Network>().by_name("ingress");
  ASSERT_NE(ingress, nullptr);
  EXPECT_EQ(ingress->ipam().subnet(), "10.255.0.0/16") << "the allocator ran too";
  leader_.reset();
  leader_ = make_leader();  // a new leader on the same store
  run_for(milliseconds(100));
  EXPECT_EQ(h_.store.table<proto::Cluster>().size(), 1U);
}

TEST_F(LeaderTest, ServiceCreateFlowsThroughToAssignedTasks) {
  add_worker("w1", {{"zone", "a"}});
  add_worker("w2", {{"zone", "a"}});
  add_worker("w3", {{"zone", "b"}});
  leader_ = make_leader();
  proto::ControlRequest create;
  create.mutable_create_service()->set_name("web");
  create.mutable_create_service()->set_replicas(6);
  create.mutable_create_service()->mutable_task()->mutable_container()->set_image("nginx");
  ASSERT_EQ(call(create).code(), "ok");
  EXPECT_EQ(assigned_per_node(), (std::map<std::string, int>{{"w1", 2}, {"w2", 2}, {"w3", 2}}));

  proto::ControlRequest constrained;
  constrained.mutable_create_service()->set_name("db");
  constrained.mutable_create_service()->set_replicas(2);
  constrained.mutable_create_service()->mutable_task()->mutable_container()->set_image("pg");
  constrained.mutable_create_service()->mutable_task()->mutable_placement()->add_constraints(
      "node.labels.zone == b");
  ASSERT_EQ(call(constrained).code(), "ok");
  EXPECT_EQ(assigned_per_node().at("w3"), 4);
}

TEST_F(LeaderTest, UnplaceableTasksWaitAndArePlacedWhenANodeJoins) {
  leader_ = make_leader();
  proto::ControlRequest create;
  create.mutable_create_service()->set_name("web");
  create.mutable_create_service()->set_replicas(2);
  create.mutable_create_service()->mutable_task()->mutable_container()->set_image("nginx");
  ASSERT_EQ(call(create).code(), "ok");
  for (const auto& [id, task] : h_.store.table<proto::Task>().all()) {
    EXPECT_EQ(task.status().state(), proto::TASK_STATE_PENDING);
    EXPECT_EQ(task.status().pending_reason(), "no suitable node (no nodes in the cluster)");
  }
  add_worker("w1");
  run_for(seconds(1));
  EXPECT_EQ(assigned_per_node(), (std::map<std::string, int>{{"w1", 2}}));
}

}  // namespace
}  // namespace herd::manager
