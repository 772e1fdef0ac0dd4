// Scheduler: assigns pending tasks to nodes (SwarmKit's scheduler), on the leader only.
//
// It watches the store and keeps per-node scheduling state (readiness, free resources, tasks per
// service, recent failures, host ports in use). schedule() places every pending task it can in
// batches — one batch per (service, spec version) — and returns one store transaction per task:
// an assignment (node set, state ASSIGNED) or, for a task no node can take, a pending reason
// such as "no suitable node (constraint node.labels.zone == a: 0/4700)", written only when it
// changes. Filters run in SwarmKit's order: node ready, availability active, platform,
// constraints, host-mode ports, resources. Among the nodes left, the spread strategy ranks a node
// with >= 5 failures of the service in the last 5 minutes last, then fewest tasks of the service,
// then fewest tasks overall, then node id; spread preferences first divide tasks evenly over a
// label's values. A batch costs O(nodes + tasks * log nodes). Decisions count at once in its own
// state (so the next call does not place a task twice); if their proposal fails, the manager
// calls reset() to rebuild from the store. Deterministic.
#pragma once

#include <google/protobuf/arena.h>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/cost_meter.h"
#include "core/runtime/time.h"
#include "core/store/store.h"
#include "proto/store.pb.h"

namespace herd::manager {

class Scheduler final : public store::Watcher {
 public:
  // Registers itself as a watcher of `store` for its lifetime and builds its state from it.
  explicit Scheduler(store::Store& store, CostMeter* cost = nullptr);
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  struct Decisions {
    // Task-status patches, at most kActionsPerTransaction per transaction, each action
    // independent so that one stale task cannot fail the others. The transactions live on
    // `arena` (one bulk allocation instead of several per decision).
    std::unique_ptr<google::protobuf::Arena> arena = std::make_unique<google::protobuf::Arena>();
    std::vector<proto::StoreTransaction*> transactions;
    std::size_t assigned = 0;
    std::size_t unplaceable = 0;
  };
  static constexpr int kActionsPerTransaction = 512;

  // Places what it can at time `now` (the leader's clock, stamped on task statuses).
  Decisions schedule(TimePoint now);

  // Whether something changed since the last schedule() that could let a pending task be placed.
  bool has_work() const { return dirty_ && !pending_.empty(); }
  std::size_t pending_count() const { return pending_.size(); }
  // Tasks this scheduler has assigned to a node since it was built (for metrics).
  std::uint64_t placed() const { return placed_; }

  // Forgets every decision not yet seen committed and rebuilds from the store.
  void reset();

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t) override {}
  void on_store_reset() override { reset(); }

  // Failures of one service on one node within this window rank the node last for the service.
  static constexpr Duration kFailureWindow = minutes(5);
  static constexpr int kMaxFailures = 5;

 private:
  struct NodeState {
    const proto::Node* node = nullptr;
    std::int64_t free_nano_cpus = 0;
    std::int64_t free_memory = 0;
    std::uint64_t total_tasks = 0;
    std::map<std::string, std::uint32_t, std::less<>> service_tasks;
    std::map<std::string, std::deque<std::int64_t>, std::less<>> failures;  // timestamps (ns)
    std::set<std::uint32_t> host_ports;                                     // protocol << 16 | port
  };
  struct Group;
  struct Candidate;
  struct Bucket;

  void rebuild();
  using TaskSet = std::map<std::string, const proto::Task*, std::less<>>;

  void count_task(const proto::Task& task, const std::string& node_id, int sign);
  void count_on(NodeState& state, const proto::Task& task, int sign);
  void on_task(const proto::Task* before, const proto::Task* after);
  void place_group(const Group& group, TimePoint now, Decisions& out);
  proto::StoreAction& next_action(Decisions& out);
  std::vector<std::uint32_t> host_ports_of(const proto::Task& task) const;

  store::Store& store_;
  CostMeter* cost_;
  std::map<std::string, NodeState, std::less<>> nodes_;
  // Tasks by id, pointing into the store's table.
  TaskSet pending_;
  TaskSet in_flight_;  // assigned by us, not yet seen committed
  bool dirty_ = true;
  std::uint64_t placed_ = 0;
};

}  // namespace herd::manager
