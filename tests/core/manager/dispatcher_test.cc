#include "core/manager/dispatcher/dispatcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/manager/ca/root_ca.h"
#include "core/manager/cluster_bootstrap.h"
#include "tests/core/manager/leader_harness.h"

namespace herd::manager {
namespace {

class RecordingSender final : public SessionSender {
 public:
  void send(NodeId to, const proto::SessionMessage& message) override {
    sent.push_back({to, message});
  }
  std::vector<std::pair<NodeId, proto::SessionMessage>> sent;

  // Messages of one kind sent to `to`, oldest first.
  std::vector<proto::SessionMessage> to(NodeId peer,
                                        proto::SessionMessage::MessageCase kind) const {
    std::vector<proto::SessionMessage> out;
    for (const auto& [target, message] : sent) {
      if (target == peer && message.message_case() == kind) out.push_back(message);
    }
    return out;
  }
};

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::WriteTx tx = *bootstrap_cluster(h_.store, h_.rng, h_.clock.now());
    h_.write(tx);
    dispatcher_ = std::make_unique<Dispatcher>(h_.context, sender_, [] {
      proto::ManagerPeer peer;
      peer.set_node_id(1);
      peer.set_addr("mg0");
      return std::vector<proto::ManagerPeer>{peer};
    });
  }

  const proto::Cluster& cluster() const {
    return h_.store.table<proto::Cluster>().all().begin()->second;
  }

  void run_for(Duration d) {
    const TimePoint end = h_.clock.now() + d;
    while (h_.clock.now() < end) {
      h_.proposer.settle();
      h_.clock.advance(milliseconds(10));
    }
    h_.proposer.settle();
  }

  // Joins a worker with the given token; returns its registration (or the rejection).
  proto::SessionMessage join(NodeId peer, const std::string& token, const std::string& hostname) {
    NodeKey key = *generate_node_key(h_.rng);
    proto::SessionMessage message;
    proto::RegisterRequest* request = message.mutable_register_request();
    request->set_token(token);
    request->set_public_key(key.public_key);
    request->mutable_description()->set_hostname(hostname);
    request->set_addr(hostname + ":2377");
    const std::size_t before = sender_.sent.size();
    dispatcher_->handle(peer, message);
    run_for(milliseconds(10));
    for (std::size_t i = before; i < sender_.sent.size(); ++i) {
      const auto& [to, reply] = sender_.sent[i];
      if (to == peer && (reply.has_register_response() || reply.has_rejected())) return reply;
    }
    ADD_FAILURE() << "no reply to the registration";
    return proto::SessionMessage();
  }

  void heartbeat(NodeId peer, const std::string& session) {
    proto::SessionMessage message;
    message.mutable_heartbeat()->set_session_id(session);
    dispatcher_->handle(peer, message);
  }

  std::string snapshot() const { return h_.store.snapshot().SerializeAsString(); }

  LeaderHarness h_;
  RecordingSender sender_;
  std::unique_ptr<Dispatcher> dispatcher_;
};

TEST_F(DispatcherTest, WorkerJoinsWithTheWorkerToken) {
  const proto::SessionMessage reply =
      join(NodeId(10), cluster().root_ca().join_tokens().worker(), "w1");
  ASSERT_TRUE(reply.has_register_response()) << reply.rejected().message();
  const proto::RegisterResponse& response = reply.register_response();
  const proto::Node* node = h_.store.get<proto::Node>(response.node_id());
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->role(), proto::NODE_ROLE_WORKER);
  EXPECT_EQ(node->status().state(), proto::NODE_STATE_READY);
  EXPECT_EQ(node->description().hostname(), "w1");
  EXPECT_EQ(*RootCa::verify(cluster().root_ca(), response.certificate(), response.node_id()),
            proto::NODE_ROLE_WORKER);
  EXPECT_GE(response.heartbeat_period_ns(), Duration(milliseconds(4500)).count());
  EXPECT_LE(response.heartbeat_period_ns(), Duration(milliseconds(5500)).count());
  ASSERT_EQ(response.managers_size(), 1);
  const auto full = sender_.to(NodeId(10), proto::SessionMessage::kAssignments);
  ASSERT_EQ(full.size(), 1U);
  EXPECT_TRUE(full[0].assignments().full());
  EXPECT_EQ(dispatcher_->sessions(), 1U);
}

TEST_F(DispatcherTest, ManagerTokenGivesTheManagerRole) {
  const proto::SessionMessage reply =
      join(NodeId(11), cluster().root_ca().join_tokens().manager(), "m2");
  ASSERT_TRUE(reply.has_register_response());
  EXPECT_EQ(h_.store.get<proto::Node>(reply.register_response().node_id())->spec().desired_role(),
            proto::NODE_ROLE_MANAGER);
}

TEST_F(DispatcherTest, WrongOrRotatedTokensAreRefusedAndWriteNothing) {
  const std::string before = snapshot();
  const proto::SessionMessage garbage = join(NodeId(12), "SWMTKN-1-nonsense", "w1");
  ASSERT_TRUE(garbage.has_rejected());
  EXPECT_EQ(garbage.rejected().code(), "invalid_argument");
  std::string wrong = cluster().root_ca().join_tokens().worker();
  wrong.back() = wrong.back() == '0' ? '1' : '0';
  EXPECT_EQ(join(NodeId(12), wrong, "w1").rejected().code(), "not_found");
  EXPECT_EQ(snapshot(), before);

  proto::Cluster rotated = cluster();
  const std::string old_token = rotated.root_ca().join_tokens().worker();
  ASSERT_TRUE(
      RootCa::rotate_token(*rotated.mutable_root_ca(), proto::NODE_ROLE_WORKER, h_.rng).is_ok());
  store::WriteTx tx;
  tx.update(rotated);
  h_.write(tx);
  const proto::SessionMessage refused = join(NodeId(12), old_token, "w1");
  ASSERT_TRUE(refused.has_rejected());
  EXPECT_NE(refused.rejected().message().find("wrong or rotated"), std::string::npos);
  EXPECT_TRUE(
      join(NodeId(12), cluster().root_ca().join_tokens().worker(), "w1").has_register_response());
}

TEST_F(DispatcherTest, SilentNodeIsMarkedDownWithinThreePeriods) {
  const proto::RegisterResponse response =
      join(NodeId(10), cluster().root_ca().join_tokens().worker(), "w1").register_response();
  const std::string node_id = response.node_id();
  // Heartbeats keep it ready for a long time.
  for (int i = 0; i < 20; ++i) {
    run_for(seconds(5));
    heartbeat(NodeId(10), response.session_id());
  }
  EXPECT_EQ(h_.store.get<proto::Node>(node_id)->status().state(), proto::NODE_STATE_READY);
  EXPECT_EQ(dispatcher_->heartbeats(), 20U);
  // Then it goes quiet: down after at most 3 periods of 5.5 s, plus the 100 ms flush.
  run_for(milliseconds(16'600));
  EXPECT_EQ(h_.store.get<proto::Node>(node_id)->status().state(), proto::NODE_STATE_DOWN);
  EXPECT_EQ(h_.store.get<proto::Node>(node_id)->status().message(), "heartbeat failure");
  // Its old session is gone: a heartbeat gets a rejection asking it to register again.
  heartbeat(NodeId(10), response.session_id());
  const auto rejected = sender_.to(NodeId(10), proto::SessionMessage::kRejected);
  ASSERT_FALSE(rejected.empty());
  EXPECT_EQ(rejected.back().rejected().code(), "unavailable");
}

TEST_F(DispatcherTest, ReRegistrationIsRateLimited) {
  const proto::RegisterResponse joined =
      join(NodeId(10), cluster().root_ca().join_tokens().worker(), "w1").register_response();
  proto::SessionMessage again;
  again.mutable_register_request()->set_node_id(joined.node_id());
  *again.mutable_register_request()->mutable_certificate() = joined.certificate();
  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < 4; ++i) {
    const std::size_t before = sender_.sent.size();
    dispatcher_->handle(NodeId(10), again);
    for (std::size_t k = before; k < sender_.sent.size(); ++k) {
      accepted += sender_.sent[k].second.has_register_response() ? 1 : 0;
      refused += sender_.sent[k].second.has_rejected() ? 1 : 0;
    }
  }
  EXPECT_EQ(accepted, 2) << "the join counts as the first of three registrations";
  EXPECT_EQ(refused, 2);
  run_for(seconds(9));
  const std::size_t before = sender_.sent.size();
  dispatcher_->handle(NodeId(10), again);
  EXPECT_TRUE(sender_.sent[before].second.has_register_response()) << "the window has passed";
}

TEST_F(DispatcherTest, StatusReportsAreBatchedAndRegressionsDropped) {
  const proto::RegisterResponse response =
      join(NodeId(10), cluster().root_ca().join_tokens().worker(), "w1").register_response();
  store::WriteTx tx;
  for (const char* id : {"t1", "t2", "other"}) {
    proto::Task task;
    task.mutable_meta()->set_id(id);
    task.set_service_id("s");
    task.set_slot(1);
    task.set_node_id(std::string(id) == "other" ? "someone-else" : response.node_id());
    task.mutable_status()->set_state(proto::TASK_STATE_ASSIGNED);
    task.set_desired_state(proto::TASK_STATE_RUNNING);
    tx.create(task);
  }
  h_.write(tx);
  const std::uint64_t version_before = h_.store.version();
  proto::SessionMessage report;
  report.mutable_status_report()->set_session_id(response.session_id());
  const auto add = [&](const char* id, proto::TaskState state) {
    proto::TaskStatusUpdate* update = report.mutable_status_report()->add_updates();
    update->set_task_id(id);
    update->mutable_status()->set_state(state);
  };
  add("t1", proto::TASK_STATE_ACCEPTED);
  add("t2", proto::TASK_STATE_RUNNING);
  add("other", proto::TASK_STATE_RUNNING);  // not this node's task
  dispatcher_->handle(NodeId(10), report);
  report.mutable_status_report()->clear_updates();
  add("t1", proto::TASK_STATE_RUNNING);
  add("t2", proto::TASK_STATE_STARTING);  // a regression
  dispatcher_->handle(NodeId(10), report);
  EXPECT_EQ(h_.store.version(), version_before) << "nothing written before the flush";
  run_for(milliseconds(150));
  EXPECT_EQ(h_.store.version(), version_before + 1) << "one transaction for the batch";
  EXPECT_EQ(h_.store.get<proto::Task>("t1")->status().state(), proto::TASK_STATE_RUNNING);
  EXPECT_EQ(h_.store.get<proto::Task>("t2")->status().state(), proto::TASK_STATE_RUNNING);
  EXPECT_EQ(h_.store.get<proto::Task>("other")->status().state(), proto::TASK_STATE_ASSIGNED);
}

TEST_F(DispatcherTest, AssignmentsAreSentIncrementally) {
  const proto::RegisterResponse response =
      join(NodeId(10), cluster().root_ca().join_tokens().worker(), "w1").register_response();
  const std::string node_id = response.node_id();
  proto::Task task;
  task.mutable_meta()->set_id("t1");
  task.set_service_id("s");
  task.set_slot(1);
  task.mutable_status()->set_state(proto::TASK_STATE_PENDING);
  task.set_desired_state(proto::TASK_STATE_RUNNING);
  store::WriteTx create;
  create.create(task);
  h_.write(create);
  proto::TaskStatus assigned;
  assigned.set_state(proto::TASK_STATE_ASSIGNED);
  store::WriteTx assign;
  assign.task_status("t1", 0, node_id, assigned);
  h_.write(assign);
  run_for(milliseconds(150));
  auto sent = sender_.to(NodeId(10), proto::SessionMessage::kAssignments);
  ASSERT_EQ(sent.size(), 2U);
  EXPECT_FALSE(sent[1].assignments().full());
  ASSERT_EQ(sent[1].assignments().tasks_size(), 1);
  EXPECT_EQ(sent[1].assignments().tasks(0).meta().id(), "t1");

  // The agent's own status report is not echoed back.
  proto::TaskStatus running;
  running.set_state(proto::TASK_STATE_RUNNING);
  store::WriteTx status;
  status.task_status("t1", 0, "", running);
  h_.write(status);
  run_for(milliseconds(150));
  EXPECT_EQ(sender_.to(NodeId(10), proto::SessionMessage::kAssignments).size(), 2U);

  // A desired-state change is, and so is a removal.
  proto::Task stopping = *h_.store.get<proto::Task>("t1");
  stopping.set_desired_state(proto::TASK_STATE_SHUTDOWN);
  store::WriteTx stop;
  stop.update(stopping);
  h_.write(stop);
  store::WriteTx remove;
  remove.remove(*h_.store.get<proto::Task>("t1"));
  h_.write(remove);
  run_for(milliseconds(150));
  sent = sender_.to(NodeId(10), proto::SessionMessage::kAssignments);
  ASSERT_EQ(sent.size(), 3U) << "both changes in one quiet window";
  EXPECT_EQ(sent[2].assignments().removed_size(), 1);
  EXPECT_EQ(sent[2].assignments().tasks_size(), 0) << "a removal supersedes the change";
}

TEST_F(DispatcherTest, NewLeaderMarksNodesUnknownThenDownIfTheyStaySilent) {
  const proto::RegisterResponse first =
      join(NodeId(10), cluster().root_ca().join_tokens().worker(), "w1").register_response();
  const proto::RegisterResponse second =
      join(NodeId(11), cluster().root_ca().join_tokens().worker(), "w2").register_response();
  dispatcher_.reset();  // leadership moves
  dispatcher_ = std::make_unique<Dispatcher>(h_.context, sender_,
                                             [] { return std::vector<proto::ManagerPeer>(); });
  run_for(milliseconds(150));
  EXPECT_EQ(h_.store.get<proto::Node>(first.node_id())->status().state(),
            proto::NODE_STATE_UNKNOWN);
  // w1 finds the new leader; w2 never does.
  proto::SessionMessage again;
  again.mutable_register_request()->set_node_id(first.node_id());
  *again.mutable_register_request()->mutable_certificate() = first.certificate();
  dispatcher_->handle(NodeId(10), again);
  const std::string session = sender_.to(NodeId(10), proto::SessionMessage::kRegisterResponse)
                                  .back()
                                  .register_response()
                                  .session_id();
  for (int i = 0; i < 7; ++i) {
    run_for(seconds(5));
    heartbeat(NodeId(10), session);
  }
  EXPECT_EQ(h_.store.get<proto::Node>(first.node_id())->status().state(), proto::NODE_STATE_READY);
  EXPECT_EQ(h_.store.get<proto::Node>(second.node_id())->status().state(), proto::NODE_STATE_DOWN);
}

TEST_F(DispatcherTest, RemovedNodeLosesItsSessionAndCannotComeBack) {
  const proto::RegisterResponse joined =
      join(NodeId(10), cluster().root_ca().join_tokens().worker(), "w1").register_response();
  store::WriteTx remove;
  remove.remove(*h_.store.get<proto::Node>(joined.node_id()));
  h_.write(remove);
  EXPECT_EQ(dispatcher_->sessions(), 0U);
  const auto rejected = sender_.to(NodeId(10), proto::SessionMessage::kRejected);
  ASSERT_EQ(rejected.size(), 1U);
  EXPECT_EQ(rejected[0].rejected().code(), "not_found");
  proto::SessionMessage again;
  again.mutable_register_request()->set_node_id(joined.node_id());
  *again.mutable_register_request()->mutable_certificate() = joined.certificate();
  dispatcher_->handle(NodeId(10), again);
  EXPECT_NE(sender_.to(NodeId(10), proto::SessionMessage::kRejected)
                .back()
                .rejected()
                .message()
                .find("was removed from the cluster"),
            std::string::npos);
}

}  // namespace
}  // namespace herd::manager
