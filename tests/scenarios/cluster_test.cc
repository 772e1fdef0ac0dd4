// End-to-end tests of a herd cluster inside simnet: real managers (Raft, store, leader's
// components), real agents and the synthetic task runtime, over the simulated network, with the
// always-on invariants checked every simulated second.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "scenarios/invariants.h"
#include "scenarios/scenario_parser.h"
#include "scenarios/sim_cluster.h"

namespace herd::scenarios {
namespace {

Scenario make_scenario(int managers, int workers, std::uint64_t snapshot_interval = 10'000) {
  Scenario scenario;
  scenario.name = "test";
  scenario.duration = hours(1);
  DatacenterSpec dc;
  dc.name = "dc1";
  dc.managers = managers;
  dc.workers = workers;
  dc.worker_host.cores = 4;
  dc.worker_host.memory_bytes = 8ULL << 30;
  scenario.topology.datacenters.push_back(dc);
  scenario.cluster.join_spread = seconds(5);
  scenario.cluster.snapshot_interval = snapshot_interval;
  return scenario;
}

class ClusterTest : public ::testing::Test {
 protected:
  void start(int managers, int workers, std::uint64_t seed = 1,
             std::uint64_t snapshot_interval = 10'000) {
    scenario_ = make_scenario(managers, workers, snapshot_interval);
    cluster_ = std::make_unique<SimCluster>(scenario_, seed);
    ASSERT_TRUE(cluster_->form().is_ok());
    run_for(seconds(30));  // everyone joins, managers are promoted
  }

  // Runs the simulation, checking the invariants every simulated second.
  void run_for(Duration d) {
    const TimePoint end = cluster_->sim().now() + d;
    while (cluster_->sim().now() < end) {
      cluster_->sim().loop().run_for(seconds(1));
      simnet::SimHost* leader = cluster_->leader();
      if (leader == nullptr) continue;
      checker_.set_position(cluster_->sim().now(), cluster_->sim().trace_position());
      checker_.check_store(cluster_->manager_of(*leader)->store(), cluster_->running_tasks());
    }
  }

  proto::ControlResponse control(const proto::ControlRequest& request) {
    Result<proto::ControlResponse> response = cluster_->control(request);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *response : proto::ControlResponse();
  }

  proto::ControlResponse create_service(const std::string& name, std::uint64_t replicas,
                                        bool global = false) {
    proto::ControlRequest request;
    proto::ServiceSpec* spec = request.mutable_create_service();
    spec->set_name(name);
    if (global) {
      spec->set_mode(proto::SERVICE_MODE_GLOBAL);
    } else {
      spec->set_replicas(replicas);
    }
    spec->mutable_task()->mutable_container()->set_image("nginx");
    spec->mutable_task()->mutable_container()->mutable_simulated()->set_start_latency_ns(
        Duration(milliseconds(500)).count());
    spec->mutable_task()->mutable_restart()->set_delay_ns(Duration(seconds(1)).count());
    return control(request);
  }

  const store::Store& leader_store() {
    simnet::SimHost* leader = cluster_->leader();
    EXPECT_NE(leader, nullptr);
    return cluster_->manager_of(*leader)->store();
  }

  // Tasks of `service` desired and observed RUNNING in the leader's store, by slot.
  std::map<std::uint64_t, int> running_slots(const std::string& service) {
    std::map<std::uint64_t, int> slots;
    const store::Store& store = leader_store();
    const proto::Service* s = store.table<proto::Service>().by_name(service);
    if (s == nullptr) return slots;
    for (const std::string_view id :
         store.table<proto::Task>().find(store::Index::kServiceId, s->meta().id())) {
      const proto::Task* task = store.get<proto::Task>(id);
      if (task->desired_state() == proto::TASK_STATE_RUNNING &&
          task->status().state() == proto::TASK_STATE_RUNNING) {
        ++slots[task->slot()];
      }
    }
    return slots;
  }

  std::size_t alive_containers() {
    std::size_t alive = 0;
    for (const auto& [node, tasks] : cluster_->running_tasks()) alive += tasks.size();
    return alive;
  }

  void dump() {
    for (const auto& [id, node] : leader_store().table<proto::Node>().all()) {
      std::cerr << "node " << node.description().hostname() << " role " << node.role() << " state "
                << node.status().state() << " " << node.status().message() << "\n";
    }
    for (const auto& [id, task] : leader_store().table<proto::Task>().all()) {
      std::cerr << "task " << id.substr(0, 6) << " slot " << task.slot() << " node "
                << task.node_id().substr(0, 6) << " state " << task.status().state() << " desired "
                << task.desired_state() << " " << task.status().message() << "\n";
    }
    for (const auto& [node, tasks] : cluster_->running_tasks()) {
      std::cerr << "executor on " << node.substr(0, 6) << ": " << tasks.size() << "\n";
    }
  }

  void expect_no_violations() {
    for (const Violation& v : checker_.violations())
      ADD_FAILURE() << v.invariant << ": " << v.detail;
  }

  Scenario scenario_;
  std::unique_ptr<SimCluster> cluster_;
  InvariantChecker checker_{InvariantChecker::Bounds{}};
};

TEST_F(ClusterTest, ManagersFormAClusterAndWorkersJoin) {
  start(3, 5);
  simnet::SimHost* leader = cluster_->leader();
  ASSERT_NE(leader, nullptr);
  EXPECT_EQ(cluster_->manager_of(*leader)->raft_status().voters.size(), 3U);
  EXPECT_GT(cluster_->manager_of(*leader)->proposals(), 0U) << "the joins were written";
  EXPECT_EQ(cluster_->manager_of(*leader)->leadership_changes(), 1U) << "it became leader once";
  int ready = 0;
  int managers = 0;
  for (const auto& [id, node] : leader_store().table<proto::Node>().all()) {
    ready += node.status().state() == proto::NODE_STATE_READY;
    managers += node.role() == proto::NODE_ROLE_MANAGER;
  }
  EXPECT_EQ(ready, 8);
  EXPECT_EQ(managers, 3);

  // node ls shows who leads and who is reachable as the leader sees it now.
  proto::ControlRequest list;
  list.set_list_nodes(true);
  const proto::ControlResponse listed = control(list);
  int leaders = 0;
  int reachable = 0;
  for (const proto::Node& node : listed.nodes()) {
    if (node.manager_status().leader()) {
      ++leaders;
      EXPECT_EQ(node.manager_status().raft_id(), leader->id().value());
    }
    reachable += node.manager_status().reachability() == proto::REACHABILITY_REACHABLE;
  }
  EXPECT_EQ(leaders, 1);
  EXPECT_EQ(reachable, 3);
  expect_no_violations();
}

TEST_F(ClusterTest, WorkersRememberTheManagersAcrossARestart) {
  start(3, 2);
  const NodeId worker = cluster_->workers().front();
  const auto remembered = [&] {
    std::set<std::pair<std::uint64_t, std::string>> peers;
    for (const proto::ManagerPeer& peer :
         cluster_->node_of(*cluster_->sim().host(worker))->identity().managers()) {
      peers.emplace(peer.node_id(), peer.addr());
    }
    return peers;
  };
  std::set<std::pair<std::uint64_t, std::string>> expected;
  for (NodeId manager : cluster_->managers()) {
    expected.emplace(manager.value(), cluster_->sim().host(manager)->name());
  }
  EXPECT_EQ(remembered(), expected) << "every manager, with the address agents dial";
  cluster_->sim().crash(worker);
  run_for(seconds(1));
  cluster_->sim().restart(worker);
  run_for(seconds(1));
  EXPECT_EQ(remembered(), expected) << "read back from the identity record";
  expect_no_violations();
}

TEST_F(ClusterTest, ServiceReachesRunningOnTwentyWorkers) {
  start(3, 20);
  ASSERT_EQ(create_service("web", 40).code(), "ok");
  run_for(seconds(15));
  EXPECT_EQ(running_slots("web").size(), 40U);
  EXPECT_EQ(alive_containers(), 40U);
  // Spread: no node runs more than its share (40 tasks over 23 nodes: 1 or 2 each).
  for (const auto& [node, tasks] : cluster_->running_tasks()) EXPECT_LE(tasks.size(), 2U) << node;
  expect_no_violations();
}

TEST_F(ClusterTest, WrongOrRotatedTokenNeverJoins) {
  start(3, 2);
  proto::ControlRequest rotate;
  rotate.set_rotate_join_token(proto::NODE_ROLE_WORKER);
  ASSERT_EQ(control(rotate).code(), "ok");
  run_for(seconds(5));
  // A host that still has the old token: SimCluster hands joiners the token it read at start.
  cluster_->join(1, proto::NODE_ROLE_WORKER, "dc1");
  run_for(seconds(30));
  int nodes = 0;
  for (const auto& [id, node] : leader_store().table<proto::Node>().all()) {
    nodes += 1;
    EXPECT_NE(node.description().hostname(), "w2") << "joined with a rotated token";
  }
  EXPECT_EQ(nodes, 5);
}

TEST_F(ClusterTest, RollingUpdateWithAFailingImageRollsBack) {
  start(3, 20);
  proto::ControlRequest create;
  proto::ServiceSpec* spec = create.mutable_create_service();
  spec->set_name("web");
  spec->set_replicas(10);
  spec->mutable_task()->mutable_container()->set_image("app:1");
  spec->mutable_task()->mutable_restart()->set_delay_ns(Duration(seconds(1)).count());
  spec->mutable_update()->set_parallelism(2);
  spec->mutable_update()->set_failure_action(proto::UPDATE_FAILURE_ACTION_ROLLBACK);
  spec->mutable_update()->set_monitor_ns(Duration(seconds(3)).count());
  ASSERT_EQ(control(create).code(), "ok");
  run_for(seconds(15));
  ASSERT_EQ(running_slots("web").size(), 10U);
  proto::ControlRequest update;
  update.mutable_update_service()->set_service("web");
  proto::ServiceSpec broken = *spec;
  broken.mutable_task()->mutable_container()->set_image("app:broken");
  broken.mutable_task()->mutable_container()->mutable_simulated()->set_fail_probability(1.0);
  *update.mutable_update_service()->mutable_spec() = broken;
  ASSERT_EQ(control(update).code(), "ok");
  run_for(seconds(60));
  const proto::Service* web = leader_store().table<proto::Service>().by_name("web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->update_status().state(), proto::UPDATE_STATE_ROLLBACK_COMPLETED)
      << web->update_status().message();
  EXPECT_EQ(web->spec().task().container().image(), "app:1");
  EXPECT_EQ(running_slots("web").size(), 10U);
  expect_no_violations();
}

TEST_F(ClusterTest, AFollowerAnswersAtOnceWhenItsLeaderIsGone) {
  start(3, 0);
  simnet::SimHost* leader = cluster_->leader();
  ASSERT_NE(leader, nullptr);
  simnet::SimHost* follower = nullptr;
  for (NodeId id : cluster_->managers()) {
    if (id != leader->id()) follower = cluster_->sim().host(id);
  }
  proto::ControlRequest request;
  request.mutable_create_secret()->set_name("s");
  std::optional<proto::ControlResponse> in_flight;
  // Forwarded just before the leader dies: answered when the connection breaks.
  cluster_->manager_of(*follower)->control(request,
                                           [&](proto::ControlResponse r) { in_flight = r; });
  cluster_->sim().crash(leader->id());
  cluster_->sim().loop().run_for(milliseconds(100));
  ASSERT_TRUE(in_flight.has_value()) << "not after the 10 s forward timeout";
  EXPECT_EQ(in_flight->code(), "unavailable");
  EXPECT_NE(in_flight->message().find("went away"), std::string::npos) << in_flight->message();
  // Sent while the dead leader is still the one it knows: refused without waiting.
  std::optional<proto::ControlResponse> later;
  cluster_->manager_of(*follower)->control(request, [&](proto::ControlResponse r) { later = r; });
  cluster_->sim().loop().run_for(milliseconds(1));
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(later->code(), "unavailable");
}

TEST_F(ClusterTest, AcknowledgedWriteSurvivesLeaderCrash) {
  start(3, 3);
  const proto::ControlResponse created = create_service("web", 3);
  ASSERT_EQ(created.code(), "ok");
  checker_.observe_acknowledged_write("service create web", created.services(0).meta().id(), false);
  simnet::SimHost* old_leader = cluster_->leader();
  ASSERT_NE(old_leader, nullptr);
  cluster_->sim().crash(old_leader->id());
  run_for(seconds(40));
  simnet::SimHost* new_leader = cluster_->leader();
  ASSERT_NE(new_leader, nullptr);
  EXPECT_NE(new_leader->id(), old_leader->id());
  checker_.check_final(leader_store());
  if (running_slots("web").size() != 3U) dump();
  EXPECT_EQ(running_slots("web").size(), 3U);
  expect_no_violations();
}

TEST_F(ClusterTest, RestartedFollowerCatchesUpThroughASnapshot) {
  start(3, 2, 1, /*snapshot_interval=*/20);
  simnet::SimHost* leader = cluster_->leader();
  ASSERT_NE(leader, nullptr);
  simnet::SimHost* follower = nullptr;
  for (NodeId id : cluster_->managers()) {
    if (id != leader->id()) follower = cluster_->sim().host(id);
  }
  cluster_->sim().crash(follower->id());
  for (int i = 0; i < 12; ++i) ASSERT_EQ(create_service("svc" + std::to_string(i), 1).code(), "ok");
  run_for(seconds(10));
  ASSERT_GT(cluster_->manager_of(*cluster_->leader())->snapshots_taken(), 0U);
  cluster_->sim().restart(follower->id());
  run_for(seconds(20));
  manager::ManagerNode* caught_up = cluster_->manager_of(*follower);
  ASSERT_NE(caught_up, nullptr);
  EXPECT_EQ(caught_up->raft_status().commit,
            cluster_->manager_of(*cluster_->leader())->raft_status().commit);
  EXPECT_EQ(caught_up->store().table<proto::Service>().size(), 12U);
  EXPECT_EQ(caught_up->store().snapshot().SerializeAsString(),
            leader_store().snapshot().SerializeAsString());
}

TEST_F(ClusterTest, WorkerCrashMarksItDownAndItsTasksMove) {
  start(3, 4);
  ASSERT_EQ(create_service("web", 8).code(), "ok");
  run_for(seconds(10));
  ASSERT_EQ(running_slots("web").size(), 8U);
  const NodeId victim = cluster_->workers().front();
  simnet::SimHost* host = cluster_->sim().host(victim);
  const std::string node_id = cluster_->store_node_id(*host);
  const TimePoint crashed_at = cluster_->sim().now();
  cluster_->sim().crash(victim);
  checker_.observe_crash(host->name(), node_id);
  TimePoint down_at;
  for (int i = 0; i < 40 && down_at == TimePoint(); ++i) {
    run_for(seconds(1));
    if (leader_store().get<proto::Node>(node_id)->status().state() == proto::NODE_STATE_DOWN) {
      down_at = cluster_->sim().now();
    }
  }
  ASSERT_NE(down_at, TimePoint());
  EXPECT_LE(down_at - crashed_at, seconds(18)) << "3 periods of at most 5.5 s, plus flushes";
  run_for(seconds(10));
  EXPECT_EQ(running_slots("web").size(), 8U) << "replaced on the other workers";
  EXPECT_EQ(alive_containers(), 8U);
  expect_no_violations();
}

TEST_F(ClusterTest, LeaderCrashKeepsTasksAndAgentsReconnect) {
  start(3, 4);
  ASSERT_EQ(create_service("web", 8).code(), "ok");
  run_for(seconds(10));
  ASSERT_EQ(alive_containers(), 8U);
  cluster_->sim().crash(cluster_->leader()->id());
  run_for(seconds(60));
  ASSERT_NE(cluster_->leader(), nullptr);
  int ready_workers = 0;
  for (const auto& [id, node] : leader_store().table<proto::Node>().all()) {
    ready_workers +=
        node.role() == proto::NODE_ROLE_WORKER && node.status().state() == proto::NODE_STATE_READY;
  }
  EXPECT_EQ(ready_workers, 4) << "every agent found the new leader";
  const auto slots = running_slots("web");
  EXPECT_EQ(slots.size(), 8U);
  for (const auto& [slot, count] : slots) EXPECT_EQ(count, 1) << "slot " << slot << " runs twice";
  EXPECT_EQ(alive_containers(), 8U) << "no task lost, none duplicated";
  expect_no_violations();
}

TEST_F(ClusterTest, DrainMovesTasksAway) {
  start(3, 3);
  ASSERT_EQ(create_service("web", 6).code(), "ok");
  run_for(seconds(10));
  simnet::SimHost* host = cluster_->sim().host(cluster_->workers().front());
  const std::string node_id = cluster_->store_node_id(*host);
  proto::ControlRequest drain;
  drain.mutable_update_node()->set_node(node_id);
  drain.mutable_update_node()->set_availability(proto::NODE_AVAILABILITY_DRAIN);
  ASSERT_EQ(control(drain).code(), "ok");
  run_for(seconds(15));
  EXPECT_EQ(cluster_->running_tasks()[node_id].size(), 0U);
  EXPECT_EQ(running_slots("web").size(), 6U);
  expect_no_violations();
}

TEST_F(ClusterTest, PromoteAndDemoteChangeRaftMembership) {
  start(3, 2);
  simnet::SimHost* worker = cluster_->sim().host(cluster_->workers().front());
  const std::string node_id = cluster_->store_node_id(*worker);
  proto::ControlRequest promote;
  promote.set_promote_node(node_id);
  ASSERT_EQ(control(promote).code(), "ok");
  run_for(seconds(20));
  EXPECT_EQ(cluster_->manager_of(*cluster_->leader())->raft_status().voters.size(), 4U);
  EXPECT_EQ(leader_store().get<proto::Node>(node_id)->role(), proto::NODE_ROLE_MANAGER);
  proto::ControlRequest demote;
  demote.set_demote_node(node_id);
  ASSERT_EQ(control(demote).code(), "ok");
  run_for(seconds(20));
  EXPECT_EQ(cluster_->manager_of(*cluster_->leader())->raft_status().voters.size(), 3U);
  EXPECT_EQ(leader_store().get<proto::Node>(node_id)->role(), proto::NODE_ROLE_WORKER);
}

TEST_F(ClusterTest, GlobalServiceFollowsJoins) {
  start(3, 2);
  ASSERT_EQ(create_service("agent", 0, /*global=*/true).code(), "ok");
  run_for(seconds(10));
  const std::size_t before = alive_containers();
  EXPECT_EQ(before, 5U) << "one per node, managers included";
  cluster_->join(2, proto::NODE_ROLE_WORKER, "dc1");
  run_for(seconds(20));
  EXPECT_EQ(alive_containers(), 7U);
  expect_no_violations();
}

TEST_F(ClusterTest, SameSeedSameRun) {
  const auto run_once = [](std::uint64_t seed) {
    Scenario scenario = make_scenario(3, 4);
    SimCluster cluster(scenario, seed);
    EXPECT_TRUE(cluster.form().is_ok());
    cluster.sim().loop().run_for(seconds(30));
    proto::ControlRequest request;
    request.mutable_create_service()->set_name("web");
    request.mutable_create_service()->set_replicas(8);
    request.mutable_create_service()->mutable_task()->mutable_container()->set_image("nginx");
    EXPECT_TRUE(cluster.control(request).ok());
    cluster.sim().loop().run_for(seconds(20));
    RunningTasks placement = cluster.running_tasks();
    return std::make_pair(cluster.sim().trace_hash(), placement);
  };
  const auto first = run_once(5);
  EXPECT_EQ(first, run_once(5));
  EXPECT_NE(first.first, run_once(6).first);
}

}  // namespace
}  // namespace herd::scenarios
