// The always-on invariants of every scenario run (SCENARIO-FORMAT.md), checked from outside
// the nodes: the runner feeds observations in, the checker never changes what happens.
//
//   one_leader_per_term   at most one leader per Raft term
//   log_matching          every manager applies the same entry at the same index
//   acknowledged_writes   no acknowledged control-API write is lost (checked against the final
//                         leader's store)
//   placement             no running task on a node that fails its constraints, is drained, or
//                         has been down longer than the heartbeat bound plus one period
//   replica_bound         running replicas wanted running never exceed desired + update parallelism
//   down_detection        a crashed node is marked down within the heartbeat bound
//
// Each violation records the simulated time, the hosts involved, the invariant and the trace
// position (the number of events the simulation had processed). Deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/runtime/time.h"
#include "core/store/store.h"

namespace herd::scenarios {

// Node id -> ids of the tasks its executor is starting or running, in the executor's order.
using RunningTasks = std::map<std::string, std::vector<std::string>>;

struct Violation {
  std::string invariant;
  TimePoint time;
  std::vector<std::string> hosts;
  std::uint64_t trace_position = 0;
  std::string detail;
};

class InvariantChecker {
 public:
  struct Bounds {
    Duration heartbeat_period = seconds(5);
    // SwarmKit marks a node down after 3 missed periods of up to period + 0.5 s, then writes it
    // within a 100 ms flush; the leader-change grace is 6 periods.
    int grace_periods = 3;
    Duration jitter = milliseconds(500);
    Duration flush = milliseconds(100);
    Duration slack = seconds(2);  // message delays and CPU queueing in the simulation

    int leader_change_grace_periods = 6;

    Duration down_bound() const {
      return (heartbeat_period + jitter) * grace_periods + flush + slack;
    }
    // After a leader change the new leader's dispatcher grants every node a longer grace.
    Duration down_bound_after_leader_change() const {
      return (heartbeat_period + jitter) * leader_change_grace_periods + flush + slack;
    }
  };

  explicit InvariantChecker(Bounds bounds) : bounds_(bounds) {}

  void set_position(TimePoint now, std::uint64_t trace_position) {
    now_ = now;
    position_ = trace_position;
  }

  // A manager reports itself leader of `term` (a new term is a leader change).
  void observe_leader(const std::string& host, std::uint64_t term);
  // A manager applied the entry at `index` whose content hashes to `entry_hash`.
  void observe_applied(const std::string& host, std::uint64_t index, std::uint64_t entry_hash);
  // A control-API write was acknowledged: the object must exist at the end (or, for a removal,
  // must not), unless a later acknowledged write says otherwise.
  void observe_acknowledged_write(const std::string& description, const std::string& object_id,
                                  bool removal);
  // The host stopped (crash, power off) at the current time.
  void observe_crash(const std::string& host, const std::string& node_id);
  void observe_restart(const std::string& host);

  // Checks a leader's store at the current time: placement, replica bounds, down detection.
  // `running_on` says which task ids really run on which node id (the executors' view).
  void check_store(const store::Store& store, const RunningTasks& running_on);

  // At the end of the run, against the final leader's store.
  void check_final(const store::Store& store);

  // A test-only hook: records a violation as if a check had found it, to prove reporting works.
  void inject_violation(const std::string& invariant, const std::string& detail);

  const std::vector<Violation>& violations() const { return violations_; }
  std::map<std::string, std::size_t> counts() const;

 private:
  void violate(const std::string& invariant, std::vector<std::string> hosts, std::string detail);

  Bounds bounds_;
  TimePoint now_;
  std::uint64_t position_ = 0;
  std::vector<Violation> violations_;
  std::set<std::string> reported_;  // one report per (invariant, subject)

  std::map<std::uint64_t, std::string> leaders_;                            // term -> host
  TimePoint last_leader_change_;                                            // term -> host
  std::map<std::uint64_t, std::pair<std::uint64_t, std::string>> applied_;  // index -> (hash, host)
  struct Acknowledged {
    std::string description;
    bool removal;
  };
  std::map<std::string, Acknowledged> acknowledged_;  // by object id: the last word on it
  std::map<std::string, std::pair<std::string, TimePoint>> crashed_;  // host -> (node id, when)
  std::map<std::string, TimePoint> down_since_;                       // node id -> first seen down
};

}  // namespace herd::scenarios
