// SimCluster: a herd cluster inside simnet, built from a scenario's topology and settings.
//
// Managers come first (the first one bootstraps the cluster; the others join with the manager
// token), then workers join with the worker token, spread evenly over `join_spread`. Every host
// runs a real node::Node on the host's Env. Helpers find the leader, send control requests to it
// the way a client would (through a manager, answered after commit), and read what the
// executors really run. Deterministic for a given scenario and seed.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/node/node.h"
#include "scenarios/invariants.h"
#include "scenarios/scenario.h"
#include "scenarios/store_counts.h"
#include "simnet/simulation.h"

namespace herd::scenarios {

class SimCluster {
 public:
  SimCluster(const Scenario& scenario, std::uint64_t seed);
  ~SimCluster();
  SimCluster(const SimCluster&) = delete;
  SimCluster& operator=(const SimCluster&) = delete;

  simnet::Simulation& sim() { return *sim_; }

  // Boots the first manager and waits (in simulated time, at most `limit`) until the cluster
  // exists; then starts the other managers and schedules the workers' joins.
  Status form(Duration limit = minutes(2));

  // Adds `count` hosts of `role` to `datacenter` now; they join with the current token.
  void join(int count, proto::NodeRole role, const std::string& datacenter);

  // The manager host that leads now, if any.
  simnet::SimHost* leader();
  manager::ManagerNode* manager_of(simnet::SimHost& host);
  node::Node* node_of(simnet::SimHost& host);
  // A manager host's store, counted by task and node state (kept current as it is applied).
  const StoreCounts* store_counts(simnet::SimHost& host);
  // Why the host's node failed to start (after a restart from a damaged disk), or OK.
  Status start_status(simnet::SimHost& host);

  // Sends a control request through a live manager and runs the simulation until it is answered
  // or `timeout` passes.
  Result<proto::ControlResponse> control(const proto::ControlRequest& request,
                                         Duration timeout = seconds(60));

  // What the executors run: store node id -> task ids starting or running.
  RunningTasks running_tasks();

  // Told about every manager's applied entries and leadership changes, across restarts.
  void set_manager_observer(manager::ManagerObserver* observer) { observer_ = observer; }

  const std::vector<NodeId>& managers() const { return managers_; }
  const std::vector<NodeId>& workers() const { return workers_; }
  std::string worker_token() const { return worker_token_; }
  std::string manager_token() const { return manager_token_; }
  // Store node id of a host (empty before it registered).
  std::string store_node_id(simnet::SimHost& host);

 private:
  struct Adapter;
  simnet::NodeFactory factory(node::NodeConfig config);
  node::NodeConfig node_config(NodeId id, const std::string& name, bool manager, bool bootstrap,
                               const HostSpec& host);
  void add_host(NodeId id, const std::string& name, const std::string& datacenter, bool manager,
                bool bootstrap, const HostSpec& host);

  const Scenario& scenario_;
  std::unique_ptr<simnet::Simulation> sim_;
  std::vector<NodeId> managers_;
  std::vector<NodeId> workers_;
  std::string worker_token_;
  std::string manager_token_;
  std::uint64_t next_id_ = 1;
  int next_manager_index_ = 0;
  int next_worker_index_ = 0;
  manager::ManagerObserver* observer_ = nullptr;
};

}  // namespace herd::scenarios
