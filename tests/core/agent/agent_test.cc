#include "core/agent/agent.h"

#include <gtest/gtest.h>

#include "tests/core/agent/mini_cluster.h"

namespace herd::agent {
namespace {

using AgentTest = MiniCluster;

TEST_F(AgentTest, JoinsAndRunsItsTasks) {
  start_leader();
  for (std::uint64_t id = 10; id < 13; ++id) add_worker(id);
  run_for(milliseconds(100));
  for (const auto& [id, worker] : workers_) {
    EXPECT_EQ(worker.agent->state(), Agent::State::kConnected);
    EXPECT_FALSE(worker.saved.node_id.empty()) << "the identity was handed out to persist";
  }
  create_service("web", 6, seconds(1));
  run_for(seconds(3));
  EXPECT_EQ(running_tasks(), 6);
  EXPECT_EQ(alive_containers(), 6U);
  for (const auto& [id, worker] : workers_) EXPECT_EQ(worker.executor->alive(), 2U);
}

TEST_F(AgentTest, ScaleDownStopsContainersAndTheReaperClearsThem) {
  start_leader();
  add_worker(10);
  create_service("web", 4, milliseconds(100));
  run_for(seconds(2));
  ASSERT_EQ(alive_containers(), 4U);
  proto::ControlRequest scale;
  scale.mutable_scale_service()->set_service("web");
  scale.mutable_scale_service()->set_replicas(1);
  leader_->control_api().handle(scale, [](proto::ControlResponse) {});
  run_for(seconds(5));
  EXPECT_EQ(alive_containers(), 1U);
  EXPECT_EQ(running_tasks(), 1);
  EXPECT_EQ(h_.store.table<proto::Task>().size(), 1U)
      << "stopped tasks with desired REMOVE are reaped";
  EXPECT_EQ(workers_.at(10).agent->tasks(), 1U) << "the agent forgot the removed tasks";
}

TEST_F(AgentTest, FailingTasksAreReplaced) {
  start_leader();
  add_worker(10);
  create_service("flaky", 10, milliseconds(100), 0.5);
  run_for(seconds(10));
  EXPECT_EQ(running_tasks(), 10);
  int failed = 0;
  for (const auto& [id, task] : h_.store.table<proto::Task>().all()) {
    failed += task.status().state() == proto::TASK_STATE_FAILED;
  }
  EXPECT_GT(failed, 0) << "with odds of one half some starts failed";
}

TEST_F(AgentTest, SessionsSurviveALeaderChange) {
  start_leader();
  add_worker(10);
  add_worker(11);
  create_service("web", 2, milliseconds(100));
  run_for(seconds(2));
  ASSERT_EQ(running_tasks(), 2);
  const std::uint64_t registrations = workers_.at(10).agent->registrations();
  // A new leader on the same store: old sessions are unknown to it.
  leader_.reset();
  h_.proposer.settle();
  start_leader();
  run_for(seconds(20));
  for (const auto& [id, worker] : workers_) {
    EXPECT_EQ(worker.agent->state(), Agent::State::kConnected);
  }
  EXPECT_GT(workers_.at(10).agent->registrations(), registrations);
  for (const auto& [id, node] : h_.store.table<proto::Node>().all()) {
    EXPECT_EQ(node.status().state(), proto::NODE_STATE_READY) << node.description().hostname();
  }
  EXPECT_EQ(running_tasks(), 2);
  EXPECT_EQ(alive_containers(), 2U) << "no duplicate and no lost container";
}

TEST_F(AgentTest, RestartedAgentAdoptsTasksItsExecutorStillRuns) {
  start_leader();
  Worker& worker = add_worker(10);
  create_service("web", 3, milliseconds(100));
  run_for(seconds(2));
  ASSERT_EQ(worker.executor->alive(), 3U);
  const AgentIdentity saved = worker.saved;
  worker.agent.reset();  // the agent process restarts; its containers keep running
  add_worker(10, saved);
  run_for(seconds(2));
  EXPECT_EQ(workers_.at(10).agent->state(), Agent::State::kConnected);
  EXPECT_EQ(workers_.at(10).executor->alive(), 3U) << "adopted, not started twice";
  EXPECT_EQ(running_tasks(), 3);
}

TEST_F(AgentTest, WrongTokenStopsTheAgentForGood) {
  start_leader();
  Worker& worker = workers_[20];
  worker.id = NodeId(20);
  worker.executor = std::make_unique<SyntheticExecutor>(h_.clock, rng_);
  worker.channel = std::make_unique<Channel>(*this, worker.id);
  AgentConfig config;
  config.join_token = "SWMTKN-1-bad";
  config.managers = {kManager};
  worker.agent = std::make_unique<Agent>(h_.clock, rng_, *worker.executor, *worker.channel,
                                         h_.logger, h_.cost, config, AgentIdentity(), nullptr);
  worker.agent->start();
  run_for(seconds(30));
  EXPECT_EQ(worker.agent->state(), Agent::State::kRemoved);
  EXPECT_EQ(worker.agent->removed_reason(),
            "invalid_argument: join token: no secret after the digest (expected "
            "SWMTKN-1-<digest>-<secret>)");
  EXPECT_EQ(worker.agent->registrations(), 1U) << "no retry storm with a bad token";
  EXPECT_EQ(h_.store.table<proto::Node>().size(), 0U);
}

TEST_F(AgentTest, AgentReconnectsWithBackoffWhenTheManagerIsUnreachable) {
  start_leader();
  Worker& worker = add_worker(10);
  run_for(milliseconds(100));
  ASSERT_EQ(worker.agent->state(), Agent::State::kConnected);
  manager_down_ = true;
  worker.agent->on_peer_down(kManager);
  run_for(seconds(30));
  EXPECT_NE(worker.agent->state(), Agent::State::kConnected);
  const std::uint64_t attempts = worker.agent->registrations();
  // Backoff doubles to 8 s (each wait between half and all of it, plus a 5 s timeout per try):
  // far fewer than one attempt per 100 ms.
  EXPECT_LT(attempts, 12U);
  EXPECT_GT(attempts, 3U);
  manager_down_ = false;
  run_for(seconds(20));
  EXPECT_EQ(worker.agent->state(), Agent::State::kConnected);
}

}  // namespace
}  // namespace herd::agent
