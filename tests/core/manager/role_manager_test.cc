#include "core/manager/role_manager.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <set>

#include "core/manager/api/control_api.h"
#include "tests/core/manager/leader_harness.h"

namespace herd::manager {
namespace {

// A Raft group that applies membership changes when told to.
class FakeMembership final : public RaftMembership {
 public:
  NodeId self() const override { return self_; }
  std::vector<NodeId> voters() const override { return {voters_.begin(), voters_.end()}; }
  bool reachable(NodeId member) const override { return unreachable_.count(member) == 0; }
  void add_voter(NodeId member, const std::string&, Done done) override {
    pending_.push_back([this, member, done] {
      voters_.insert(member);
      done(Status::ok());
    });
  }
  void remove_member(NodeId member, Done done) override {
    pending_.push_back([this, member, done] {
      if (voters_.erase(member) == 0) return done(Status::not_found("not a member"));
      done(Status::ok());
    });
  }
  void transfer_leadership(NodeId to) override { transferred_to_ = to; }

  void apply_pending() {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& change : pending) change();
  }

  NodeId self_{1};
  std::set<NodeId> voters_{NodeId(1), NodeId(2), NodeId(3)};
  std::set<NodeId> unreachable_;
  std::vector<std::function<void()>> pending_;
  std::optional<NodeId> transferred_to_;
};

class RoleManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.context.membership = &membership_;
    for (std::uint64_t i = 1; i <= 3; ++i)
      add_node("m" + std::to_string(i), i, proto::NODE_ROLE_MANAGER);
    add_node("w4", 4, proto::NODE_ROLE_WORKER);
    roles_ = std::make_unique<RoleManager>(h_.context);
  }

  void add_node(const std::string& id, std::uint64_t transport, proto::NodeRole role) {
    proto::Node node;
    node.mutable_meta()->set_id(id);
    node.mutable_description()->set_hostname(id);
    node.mutable_status()->set_state(proto::NODE_STATE_READY);
    node.mutable_status()->set_transport_id(transport);
    node.set_role(role);
    node.mutable_spec()->set_desired_role(role);
    if (role == proto::NODE_ROLE_MANAGER) node.mutable_manager_status()->set_raft_id(transport);
    store::WriteTx tx;
    tx.create(node);
    h_.write(tx);
  }

  proto::ControlResponse call(const proto::ControlRequest& request) {
    std::optional<proto::ControlResponse> response;
    api_.handle(request, [&](proto::ControlResponse r) { response = std::move(r); });
    settle();
    return response.value_or(proto::ControlResponse());
  }

  void settle() {
    for (int i = 0; i < 5; ++i) {
      h_.proposer.settle();
      membership_.apply_pending();
    }
    h_.proposer.settle();
  }

  const proto::Node& node(const std::string& id) const { return *h_.store.get<proto::Node>(id); }

  LeaderHarness h_;
  FakeMembership membership_;
  ControlApi api_{h_.context};
  std::unique_ptr<RoleManager> roles_;
};

TEST_F(RoleManagerTest, PromoteAddsAVoterThenSetsTheRole) {
  proto::ControlRequest promote;
  promote.set_promote_node("w4");
  ASSERT_EQ(call(promote).code(), "ok");
  EXPECT_EQ(membership_.voters_.count(NodeId(4)), 1U);
  EXPECT_EQ(node("w4").role(), proto::NODE_ROLE_MANAGER);
  EXPECT_EQ(node("w4").manager_status().raft_id(), 4U);
}

TEST_F(RoleManagerTest, DemoteRemovesTheMemberThenSetsTheRole) {
  proto::ControlRequest demote;
  demote.set_demote_node("m3");
  ASSERT_EQ(call(demote).code(), "ok");
  EXPECT_EQ(membership_.voters_.count(NodeId(3)), 0U);
  EXPECT_EQ(node("m3").role(), proto::NODE_ROLE_WORKER);
  EXPECT_FALSE(node("m3").has_manager_status());
}

TEST_F(RoleManagerTest, DemotingTheLeaderTransfersLeadershipFirst) {
  proto::ControlRequest demote;
  demote.set_demote_node("m1");
  ASSERT_EQ(call(demote).code(), "ok");
  ASSERT_TRUE(membership_.transferred_to_.has_value());
  EXPECT_NE(*membership_.transferred_to_, NodeId(1));
  EXPECT_EQ(membership_.voters_.count(NodeId(1)), 1U) << "the next leader removes it";
  EXPECT_EQ(node("m1").role(), proto::NODE_ROLE_MANAGER);
}

TEST_F(RoleManagerTest, RefusesDemotionsThatBreakQuorumOrLeaveNoManager) {
  membership_.unreachable_ = {NodeId(2)};
  proto::ControlRequest demote;
  demote.set_demote_node("m3");
  const proto::ControlResponse refused = call(demote);
  EXPECT_EQ(refused.code(), "failed_precondition");
  EXPECT_NE(
      refused.message().find("would leave 1 reachable managers of 2, fewer than a quorum of 2"),
      std::string::npos)
      << refused.message();
  EXPECT_EQ(node("m3").spec().desired_role(), proto::NODE_ROLE_MANAGER) << "nothing written";

  membership_.unreachable_.clear();
  demote.set_demote_node("m3");
  ASSERT_EQ(call(demote).code(), "ok");
  demote.set_demote_node("m2");
  ASSERT_EQ(call(demote).code(), "ok");
  demote.set_demote_node("m1");
  const proto::ControlResponse last = call(demote);
  EXPECT_EQ(last.code(), "failed_precondition");
  EXPECT_NE(last.message().find("is the last manager"), std::string::npos);
}

TEST_F(RoleManagerTest, NodeRemovalRules) {
  proto::ControlRequest remove;
  remove.mutable_remove_node()->set_node("m2");
  EXPECT_NE(call(remove).message().find("is a manager; demote it before removing it"),
            std::string::npos);
  remove.mutable_remove_node()->set_node("w4");
  const proto::ControlResponse ready = call(remove);
  EXPECT_EQ(ready.code(), "failed_precondition");
  EXPECT_NE(ready.message().find("is ready"), std::string::npos);
  EXPECT_NE(h_.store.get<proto::Node>("w4"), nullptr);
  remove.mutable_remove_node()->set_force(true);
  EXPECT_EQ(call(remove).code(), "ok");
  EXPECT_EQ(h_.store.get<proto::Node>("w4"), nullptr);
}

}  // namespace
}  // namespace herd::manager
