#include "scenarios/invariants.h"

#include <gtest/gtest.h>

#include <functional>

#include "core/store/write_tx.h"

namespace herd::scenarios {
namespace {

class InvariantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::WriteTx tx;
    proto::Node node;
    node.mutable_meta()->set_id("n1");
    node.mutable_description()->set_hostname("w0");
    node.mutable_status()->set_state(proto::NODE_STATE_READY);
    (*node.mutable_spec()->mutable_labels())["zone"] = "a";
    tx.create(node);
    proto::Service service;
    service.mutable_meta()->set_id("s1");
    service.mutable_spec()->set_name("web");
    service.mutable_spec()->set_replicas(2);
    service.mutable_spec()->mutable_update()->set_parallelism(1);
    tx.create(service);
    for (int i = 1; i <= 4; ++i) {
      proto::Task task;
      task.mutable_meta()->set_id("t" + std::to_string(i));
      task.set_service_id("s1");
      task.set_service_name("web");
      task.set_slot(static_cast<std::uint64_t>(i));
      task.set_node_id("n1");
      task.set_desired_state(proto::TASK_STATE_RUNNING);
      task.mutable_spec()->mutable_placement()->add_constraints(i == 4 ? "node.labels.zone == b"
                                                                       : "node.labels.zone == a");
      tx.create(task);
    }
    ASSERT_TRUE(store_.apply(tx.transaction()).is_ok());
  }

  void update_node(const std::function<void(proto::Node&)>& change) {
    proto::Node node = *store_.get<proto::Node>("n1");
    change(node);
    store::WriteTx tx;
    tx.update(node);
    ASSERT_TRUE(store_.apply(tx.transaction()).is_ok());
  }

  store::Store store_;
  InvariantChecker checker_{InvariantChecker::Bounds{}};
};

TEST_F(InvariantsTest, OneLeaderPerTerm) {
  checker_.observe_leader("mg0", 1);
  checker_.observe_leader("mg0", 1);
  checker_.observe_leader("mg1", 2);
  EXPECT_TRUE(checker_.violations().empty());
  checker_.set_position(TimePoint(seconds(30)), 1234);
  checker_.observe_leader("mg2", 2);
  ASSERT_EQ(checker_.violations().size(), 1U);
  const Violation& v = checker_.violations()[0];
  EXPECT_EQ(v.invariant, "one_leader_per_term");
  EXPECT_EQ(v.hosts, (std::vector<std::string>{"mg1", "mg2"}));
  EXPECT_EQ(v.trace_position, 1234U);
  EXPECT_EQ(v.time, TimePoint(seconds(30)));
}

TEST_F(InvariantsTest, LogMatching) {
  checker_.observe_applied("mg0", 5, 111);
  checker_.observe_applied("mg1", 5, 111);
  EXPECT_TRUE(checker_.violations().empty());
  checker_.observe_applied("mg2", 5, 222);
  ASSERT_EQ(checker_.counts().at("log_matching"), 1U);
}

TEST_F(InvariantsTest, PlacementAndReplicaBound) {
  // t1..t3 run (one more than replicas + parallelism allows), t4 violates its constraint.
  checker_.check_store(store_, {{"n1", {"t1", "t2", "t3", "t4"}}});
  const auto counts = checker_.counts();
  EXPECT_EQ(counts.at("placement"), 1U);
  EXPECT_EQ(counts.at("replica_bound"), 1U);
  update_node(
      [](proto::Node& n) { n.mutable_spec()->set_availability(proto::NODE_AVAILABILITY_DRAIN); });
  checker_.check_store(store_, {{"n1", {"t1"}}});
  EXPECT_EQ(checker_.counts().at("placement"), 2U) << "a task desired running on a drained node";
}

TEST_F(InvariantsTest, DownDetectionWithinTheBound) {
  checker_.set_position(TimePoint(seconds(10)), 0);
  checker_.observe_crash("w0", "n1");
  checker_.set_position(TimePoint(seconds(20)), 0);
  checker_.check_store(store_, {});
  EXPECT_TRUE(checker_.violations().empty()) << "still within the bound";
  checker_.set_position(TimePoint(seconds(40)), 0);
  checker_.check_store(store_, {});
  ASSERT_EQ(checker_.counts().at("down_detection"), 1U);
  EXPECT_NE(checker_.violations()[0].detail.find("still ready"), std::string::npos);
}

TEST_F(InvariantsTest, AcknowledgedWritesMustSurvive) {
  checker_.observe_acknowledged_write("service create web", "s1", false);
  checker_.observe_acknowledged_write("service create api", "s2", false);
  checker_.observe_acknowledged_write("service create tmp", "s3", false);
  checker_.observe_acknowledged_write("service rm tmp", "s3", true);
  checker_.check_final(store_);
  ASSERT_EQ(checker_.violations().size(), 1U);
  EXPECT_NE(checker_.violations()[0].detail.find("service create api"), std::string::npos);
}

TEST_F(InvariantsTest, InjectedViolationIsReported) {
  checker_.inject_violation("one_leader_per_term", "injected by a test");
  ASSERT_EQ(checker_.violations().size(), 1U);
  EXPECT_EQ(checker_.violations()[0].invariant, "one_leader_per_term");
}

}  // namespace
}  // namespace herd::scenarios
