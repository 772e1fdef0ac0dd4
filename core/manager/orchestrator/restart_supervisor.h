// RestartSupervisor: decides whether an ended task (or one stranded on a down or drained node)
// gets a replacement, and starts delayed replacements (SwarmKit's restart supervisor).
//
// restart() writes, into the caller's transaction, desired SHUTDOWN for the old task and, when
// the service's restart policy allows (condition none / on-failure / any; max_attempts within
// the window, counted per slot or per global task's node, reset by a new spec version), a
// replacement in the same slot (same node for global services) at desired READY. Once that
// transaction commits, the caller passes the returned start to arm(): after the restart delay
// (zero from a draining node) the replacement's desired state becomes RUNNING. Restart history
// and timers live on the leader only; a new leader re-arms READY tasks with resume().
// Deterministic: time from the Clock, ids from the Rng.
#pragma once

#include <deque>
#include <map>
#include <optional>
#include <string>

#include "core/manager/leader_context.h"
#include "core/store/write_tx.h"

namespace herd::manager {

class RestartSupervisor {
 public:
  struct DelayedStart {
    std::string task_id;
    Duration delay;
  };

  explicit RestartSupervisor(LeaderContext& context) : context_(context) {}
  ~RestartSupervisor();
  RestartSupervisor(const RestartSupervisor&) = delete;
  RestartSupervisor& operator=(const RestartSupervisor&) = delete;

  // See the file comment. `draining` is true when the task's node is drained or gone.
  std::optional<DelayedStart> restart(store::WriteTx& tx, const proto::Service& service,
                                      const proto::Task& task, bool draining);

  // Whether the policy would give `task` (ended) a replacement now.
  bool would_restart(const proto::Service& service, const proto::Task& task);

  void arm(const DelayedStart& start);

  // Re-arms every task left at desired READY (after a leader change).
  void resume();

  std::size_t armed() const { return timers_.size(); }

 private:
  struct History {
    std::uint64_t spec_version = 0;
    std::deque<std::int64_t> restarts_ns;
  };

  static std::string history_key(const proto::Task& task);
  void start_now(const std::string& task_id);

  LeaderContext& context_;
  std::map<std::string, History, std::less<>> history_;
  std::map<std::string, TimerId, std::less<>> timers_;
};

}  // namespace herd::manager
