// One leader and several agents with synthetic executors on one ManualClock, with messages
// delivered after a fixed latency: the whole control loop without Raft or a network.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/agent/agent.h"
#include "core/agent/synthetic_executor.h"
#include "core/manager/ca/root_ca.h"
#include "core/manager/leader.h"
#include "tests/core/manager/leader_harness.h"

namespace herd::agent {

constexpr NodeId kManager{1};
constexpr Duration kLatency = milliseconds(1);

// One leader and several agents on one ManualClock, messages delivered after kLatency.
class MiniCluster : public ::testing::Test, public manager::SessionSender {
 protected:
  struct Worker {
    NodeId id;
    std::unique_ptr<SyntheticExecutor> executor;
    std::unique_ptr<Agent> agent;
    std::unique_ptr<ManagerChannel> channel;
    AgentIdentity saved;
  };

  struct Channel final : ManagerChannel {
    Channel(MiniCluster& owner, NodeId id) : test(owner), self(id) {}
    void send(NodeId manager, const proto::SessionMessage& message) override {
      if (manager != kManager || test.manager_down_) return;
      test.h_.clock.schedule_after(kLatency, [this, message] {
        if (test.leader_ && test.leader_->dispatcher() && !test.manager_down_) {
          test.leader_->dispatcher()->handle(self, message);
        }
      });
    }
    MiniCluster& test;
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

}  // namespace herd::agent
