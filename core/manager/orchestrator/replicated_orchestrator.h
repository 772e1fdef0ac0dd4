// ReplicatedOrchestrator: keeps `replicas` tasks running for every replicated service.
//
// Slots 1..N each hold one active task. On every store commit it reconciles the services whose
// state changed in a way that matters (service created, updated or removed; an active task
// ended or vanished; a node went down, was drained or removed): ended tasks and tasks stranded
// on unusable nodes go to the RestartSupervisor; missing slots get new tasks in the lowest free
// slot numbers; a scale-down sets desired REMOVE on the highest slots; a removed service's tasks
// get desired REMOVE (the reaper deletes them once stopped). One transaction per service; while
// it is in flight the service is not reconciled again (the store does not show it yet).
// Deterministic: services in id order, slots in number order.
#pragma once

#include <set>
#include <string>

#include "core/manager/leader_context.h"
#include "core/manager/orchestrator/dirty_services.h"
#include "core/manager/orchestrator/restart_supervisor.h"

namespace herd::manager {

class ReplicatedOrchestrator final : public store::Watcher {
 public:
  // Registers as a watcher for its lifetime and reconciles every replicated service once.
  ReplicatedOrchestrator(LeaderContext& context, RestartSupervisor& restarts);
  ~ReplicatedOrchestrator() override;
  ReplicatedOrchestrator(const ReplicatedOrchestrator&) = delete;
  ReplicatedOrchestrator& operator=(const ReplicatedOrchestrator&) = delete;

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t version) override;
  void on_store_reset() override;

  // Reconciles every dirty service that has no transaction in flight.
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
