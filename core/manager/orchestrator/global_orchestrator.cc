#include "core/manager/orchestrator/global_orchestrator.h"

#include <vector>

#include "core/manager/orchestrator/task_factory.h"
#include "core/manager/scheduler/constraint.h"
#include "core/store/write_tx.h"

namespace herd::manager {
namespace {

bool is_global(const proto::Service* service) {
  return service != nullptr && service->spec().mode() == proto::SERVICE_MODE_GLOBAL;
}

}  // namespace

GlobalOrchestrator::GlobalOrchestrator(LeaderContext& context, RestartSupervisor& restarts)
    : context_(context), restarts_(restarts) {
  context_.store.add_watcher(this);
  mark_all();
  reconcile_dirty();
}

GlobalOrchestrator::~GlobalOrchestrator() { context_.store.remove_watcher(this); }

void GlobalOrchestrator::mark_all() {
  for (const auto& [id, service] : context_.store.table<proto::Service>().all()) {
    if (is_global(&service)) dirty_.insert(id);
  }
}

void GlobalOrchestrator::on_store_event(const store::Event& event) {
  if (const auto* service = std::get_if<store::Change<proto::Service>>(&event)) {
    if (!service->removed() && is_global(service->after))
      dirty_.insert(service->after->meta().id());
    return;
  }
  if (std::holds_alternative<store::Change<proto::Node>>(event)) {
    mark_all();  // any node change can change which nodes are eligible
    return;
  }
  if (const auto* task = std::get_if<store::Change<proto::Task>>(&event)) {
    const proto::Task& current = task->current();
    if (current.slot() != 0) return;  // replicated
    const bool ended_now = task->after != nullptr && has_ended(*task->after) &&
                           (task->before == nullptr || !has_ended(*task->before));
    if (task->removed() || ended_now) dirty_.insert(current.service_id());
  }
}

void GlobalOrchestrator::on_store_commit(std::uint64_t) { reconcile_dirty(); }

void GlobalOrchestrator::on_store_reset() {
  mark_all();
  reconcile_dirty();
}

void GlobalOrchestrator::reconcile_dirty() {
  for (const std::string& id : take_ready(dirty_, in_flight_)) reconcile(id);
}

void GlobalOrchestrator::reconcile(const std::string& service_id) {
  const store::Store& store = context_.store;
  const proto::Service* service = store.get<proto::Service>(service_id);
  if (!is_global(service)) return;  // removal is handled with the replicated services
  Result<std::vector<Constraint>> constraints =
      parse_constraints(service->spec().task().placement().constraints());
  if (!constraints.ok()) return;  // the control API refuses such specs
  const TimePoint now = context_.clock.now();
  const auto& tasks = store.table<proto::Task>();
  store::WriteTx tx;
  std::vector<RestartSupervisor::DelayedStart> starts;

  for (const auto& [node_id, node] : store.table<proto::Node>().all()) {
    bool eligible = node_can_run_tasks(&node);
    for (const Constraint& constraint : *constraints)
      eligible = eligible && constraint.matches(node);
    const proto::Task* newest = nullptr;
    bool has_active = false;
    for (const std::string_view id :
         tasks.find(store::Index::kSlot, store::global_task_key(service_id, node_id))) {
      const proto::Task* task = store.get<proto::Task>(id);
      if (newest == nullptr || task->meta().created_at_ns() > newest->meta().created_at_ns()) {
        newest = task;
      }
      if (!is_active(*task)) continue;
      if (!eligible) {
        proto::Task stopped = *task;
        stopped.set_desired_state(proto::TASK_STATE_SHUTDOWN);
        tx.update(std::move(stopped));
        continue;
      }
      has_active = true;
      if (has_ended(*task)) {
        if (auto start = restarts_.restart(tx, *service, *task, /*draining=*/false)) {
          starts.push_back(std::move(*start));
        }
      }
    }
    if (!eligible || has_active) continue;
    if (node.spec().availability() == proto::NODE_AVAILABILITY_PAUSE) continue;
    if (newest != nullptr && has_ended(*newest) &&
        newest->desired_state() < proto::TASK_STATE_REMOVE &&
        newest->spec_version() == service->spec_version() &&
        !restarts_.would_restart(*service, *newest)) {
      continue;  // finished for good on this node
    }
    tx.create(new_task(*service, 0, node_id, proto::TASK_STATE_RUNNING, context_.rng, now));
    context_.cost.charge(Work::kOrchestratorTask, 1);
  }
  // Tasks bound to nodes that no longer exist.
  for (const std::string_view id : tasks.find(store::Index::kServiceId, service_id)) {
    const proto::Task* task = store.get<proto::Task>(id);
    if (task->desired_state() >= proto::TASK_STATE_REMOVE || task->node_id().empty()) continue;
    if (store.get<proto::Node>(task->node_id()) != nullptr) continue;
    proto::Task removed = *task;
    removed.set_desired_state(proto::TASK_STATE_REMOVE);
    tx.update(std::move(removed));
  }
  if (tx.empty()) return;
  in_flight_.insert(service_id);
  context_.proposer.propose(std::move(tx).release(),
                            [this, service_id, starts = std::move(starts)](const Status& status) {
                              in_flight_.erase(service_id);
                              if (status.is_ok()) {
                                for (const auto& start : starts) restarts_.arm(start);
                              } else if (status.code() == StatusCode::kNotLeader ||
                                         status.code() == StatusCode::kUnavailable) {
                                return;
                              }
                              dirty_.insert(service_id);
                              reconcile_dirty();
                            });
}

}  // namespace herd::manager
