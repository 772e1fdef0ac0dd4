#include "core/agent/agent.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/agent/synthetic_executor.h"
#include "core/manager/ca/root_ca.h"
#include "core/manager/leader.h"
#include "tests/core/manager/leader_harness.h"

namespace herd::agent {
namespace {

constexpr NodeId kManager{1};
constexpr Duration kLatency = milliseconds(1);

// One leader and several agents on one ManualClock, messages delivered after kLatency.
class AgentTest : public ::testing::Test, public manager::SessionSender {
 protected:
  struct Worker {
    NodeId id;
    std::unique_ptr<SyntheticExecutor> executor;
    std::unique_ptr<Agent> agent;
    std::unique_ptr<ManagerChannel> channel;
    AgentIdentity saved;
  };

  struct Channel final : ManagerChannel {
    Channel(AgentTest& owner, NodeId id) : test(owner), self(id) {}
    void send(NodeId manager, const proto::SessionMessage& message) override {
      if (manager != kManager || test.manager_down_) return;
      test.h_.clock.schedule_after(kLatency, [this, message] {
        if (test.leader_ && test.leader_->dispatcher() && !test.manager_down_) {
          test.leader_->dispatcher()->handle(self, message);
        }
      });
    }
    AgentTest& test;
    NodeId self;
  };

  void send(NodeId to, const proto::SessionMessage& message) override {
    h_.clock.schedule_after(kLatency, [this, to, message] {
      const auto it = workers_.find(to.value());
      if (it != workers_.end() && it->second.agent && !manager_down_) {
        it->second.agent->on_message(kManager, message);
      }
    });
  }

  void start_leader() {
    leader_ = std::make_unique<manager::Leader>(h_.context, this, [] {
      proto::ManagerPeer peer;
      peer.set_node_id(kManager.value());
      return std::vector<proto::ManagerPeer>{peer};
    });
    run_for(milliseconds(200));
  }

  const proto::Cluster& cluster() const {
    return h_.store.table<proto::Cluster>().all().begin()->second;
  }

  Worker& add_worker(std::uint64_t id, std::optional<AgentIdentity> identity = std::nullopt) {
    Worker& worker = workers_[id];
    worker.id = NodeId(id);
    if (!worker.executor) worker.executor = std::make_unique<SyntheticExecutor>(h_.clock, rng_);
    worker.channel = std::make_unique<Channel>(*this, worker.id);
    AgentConfig config;
    config.join_token = cluster().root_ca().join_tokens().worker();
    config.public_key = manager::generate_node_key(rng_)->public_key;
    config.description.set_hostname("w" + std::to_string(id));
    config.description.mutable_resources()->set_nano_cpus(4'000'000'000);
    config.description.mutable_resources()->set_memory_bytes(8LL << 30);
    config.managers = {kManager};
    worker.agent =
        std::make_unique<Agent>(h_.clock, rng_, *worker.executor, *worker.channel, h_.logger,
                                h_.cost, config, identity.value_or(AgentIdentity()),
                                [&worker](const AgentIdentity& saved) { worker.saved = saved; });
    worker.agent->start();
    return worker;
  }

  void run_for(Duration d) {
    const TimePoint end = h_.clock.now() + d;
    while (h_.clock.now() < end) {
      h_.proposer.settle();
      h_.clock.advance(milliseconds(5));
    }
    h_.proposer.settle();
  }

  void create_service(const std::string& name, std::uint64_t replicas, Duration latency,
                      double fail = 0.0) {
    proto::ControlRequest request;
    proto::ServiceSpec* spec = request.mutable_create_service();
    spec->set_name(name);
    spec->set_replicas(replicas);
    spec->mutable_task()->mutable_container()->set_image("nginx");
    spec->mutable_task()->mutable_container()->mutable_simulated()->set_start_latency_ns(
        latency.count());
    spec->mutable_task()->mutable_container()->mutable_simulated()->set_fail_probability(fail);
    spec->mutable_task()->mutable_restart()->set_delay_ns(0);
    std::string code;
    leader_->control_api().handle(request, [&](proto::ControlResponse r) { code = r.code(); });
    run_for(milliseconds(50));
    ASSERT_EQ(code, "ok");
  }

  int running_tasks() const {
    int running = 0;
    for (const auto& [id, task] : h_.store.table<proto::Task>().all()) {
      running += task.status().state() == proto::TASK_STATE_RUNNING &&
                 task.desired_state() == proto::TASK_STATE_RUNNING;
    }
    return running;
  }

  std::size_t alive_containers() const {
    std::size_t alive = 0;
    for (const auto& [id, worker] : workers_) alive += worker.executor->alive();
    return alive;
  }

  manager::LeaderHarness h_;
  Rng rng_{17};
  std::unique_ptr<manager::Leader> leader_;
  std::map<std::uint64_t, Worker> workers_;
  bool manager_down_ = false;
};

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
