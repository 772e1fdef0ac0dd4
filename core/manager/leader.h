// Leader: every leader-only component of one manager, alive exactly while it is the Raft leader.
//
// Built with a LeaderContext when the manager wins leadership; it initializes an empty cluster
// (bootstrap_cluster), then starts, in order, the restart supervisor, allocator, scheduler,
// replicated and global orchestrators, update supervisor, task reaper, dispatcher and control
// API, each reconciling
// what the store holds. It drives the scheduler the way SwarmKit does: after a commit that leaves
// work, wait 50 ms for more changes (but no more than 1 s since the first), then place everything
// pending in one batch. Destroy it only after the manager has failed the outstanding proposals.
// Deterministic.
#pragma once

#include <memory>

#include "core/manager/allocator/allocator.h"
#include "core/manager/api/control_api.h"
#include "core/manager/dispatcher/dispatcher.h"
#include "core/manager/leader_context.h"
#include "core/manager/orchestrator/global_orchestrator.h"
#include "core/manager/orchestrator/replicated_orchestrator.h"
#include "core/manager/orchestrator/restart_supervisor.h"
#include "core/manager/orchestrator/task_reaper.h"
#include "core/manager/orchestrator/update_supervisor.h"
#include "core/manager/role_manager.h"
#include "core/manager/scheduler/scheduler.h"

namespace herd::manager {

class Leader final : public store::Watcher {
 public:
  static constexpr Duration kSchedulerDebounce = milliseconds(50);
  static constexpr Duration kSchedulerMaxDelay = seconds(1);

  // Sessions are answered through `sender`; `managers` lists the managers agents may use. With
  // no sender there is no dispatcher: nodes are then written to the store by other means (tests
  // of the manager alone), and nothing marks them down.
  Leader(LeaderContext& context, SessionSender* sender, Dispatcher::ManagerList managers);
  ~Leader() override;
  Leader(const Leader&) = delete;
  Leader& operator=(const Leader&) = delete;

  ControlApi& control_api() { return control_api_; }
  Dispatcher* dispatcher() { return dispatcher_.get(); }
  const Scheduler& scheduler() const { return *scheduler_; }

  void on_store_event(const store::Event&) override {}
  void on_store_commit(std::uint64_t version) override;
  void on_store_reset() override {}

 private:
  void arm_scheduler();
  void run_scheduler();

  LeaderContext& context_;
  RestartSupervisor restarts_;
  std::unique_ptr<Allocator> allocator_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<ReplicatedOrchestrator> replicated_;
  std::unique_ptr<GlobalOrchestrator> global_;
  std::unique_ptr<TaskReaper> reaper_;
  std::unique_ptr<UpdateSupervisor> updates_;
  std::unique_ptr<Dispatcher> dispatcher_;
  std::unique_ptr<RoleManager> roles_;
  ControlApi control_api_;
  ScopedTimer scheduler_timer_;
  TimePoint first_pending_change_;
  bool scheduler_armed_ = false;
  std::size_t scheduler_proposals_ = 0;  // scheduler transactions not yet committed
  bool scheduler_proposal_failed_ = false;
};

}  // namespace herd::manager
