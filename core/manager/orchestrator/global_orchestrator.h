// GlobalOrchestrator: one task of every global service on every eligible node.
//
// A node is eligible when it is not down, not drained and matches the service's constraints;
// a paused node keeps its tasks but gets no new ones. New tasks are bound to their node at
// creation (the scheduler only checks that node). Tasks on nodes that stop being eligible get
// desired SHUTDOWN, with no replacement elsewhere; tasks whose node was removed get desired
// REMOVE; ended tasks on eligible nodes go to the RestartSupervisor. Reconciles on commit, one
// transaction per service, none while that service's previous one is in flight. Deterministic.
#pragma once

#include <set>
#include <string>

#include "core/manager/leader_context.h"
#include "core/manager/orchestrator/dirty_services.h"
#include "core/manager/orchestrator/restart_supervisor.h"

namespace herd::manager {

class GlobalOrchestrator final : public store::Watcher {
 public:
  GlobalOrchestrator(LeaderContext& context, RestartSupervisor& restarts);
  ~GlobalOrchestrator() override;
  GlobalOrchestrator(const GlobalOrchestrator&) = delete;
  GlobalOrchestrator& operator=(const GlobalOrchestrator&) = delete;

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t version) override;
  void on_store_reset() override;

  void reconcile_dirty();

 private:
  void mark_all();
  void reconcile(const std::string& service_id);

  LeaderContext& context_;
  RestartSupervisor& restarts_;
  ServiceIdSet dirty_;
  ServiceIdSet in_flight_;
};

}  // namespace herd::manager
