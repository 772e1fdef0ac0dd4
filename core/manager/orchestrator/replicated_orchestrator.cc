#include "core/manager/orchestrator/replicated_orchestrator.h"

#include <algorithm>
#include <map>
#include <vector>

#include "core/manager/orchestrator/task_factory.h"

namespace herd::manager {
namespace {

bool is_replicated(const proto::Service* service) {
  return service != nullptr && service->spec().mode() == proto::SERVICE_MODE_REPLICATED;
}

}  // namespace

ReplicatedOrchestrator::ReplicatedOrchestrator(LeaderContext& context, RestartSupervisor& restarts)
    : context_(context), restarts_(restarts) {
  context_.store.add_watcher(this);
  mark_all();
  reconcile_dirty();
}

ReplicatedOrchestrator::~ReplicatedOrchestrator() { context_.store.remove_watcher(this); }

void ReplicatedOrchestrator::mark_all() {
  for (const auto& [id, service] : context_.store.table<proto::Service>().all()) {
    if (is_replicated(&service)) dirty_.insert(id);
  }
  // Tasks whose service is gone still need their desired state set to REMOVE.
  for (const auto& [service_id, tasks] :
       context_.store.table<proto::Task>().index(store::Index::kServiceId)) {
    if (context_.store.get<proto::Service>(service_id) == nullptr) dirty_.insert(service_id);
  }
}

void ReplicatedOrchestrator::on_store_event(const store::Event& event) {
  if (const auto* service = std::get_if<store::Change<proto::Service>>(&event)) {
    const proto::Service& current = service->current();
    if (service->removed() || is_replicated(&current)) dirty_.insert(current.meta().id());
    return;
  }
  if (const auto* task = std::get_if<store::Change<proto::Task>>(&event)) {
    const proto::Task& current = task->current();
    const bool was_active = task->before != nullptr && is_active(*task->before);
    const bool relevant =
        (task->removed() && was_active) ||
        (task->after != nullptr && is_active(*task->after) && has_ended(*task->after) &&
         (task->before == nullptr || !has_ended(*task->before))) ||
        (task->after != nullptr && task->before != nullptr &&
         task->after->desired_state() != task->before->desired_state());
    if (relevant) dirty_.insert(current.service_id());
    return;
  }
  if (const auto* node = std::get_if<store::Change<proto::Node>>(&event)) {
    const bool usable_before = node->before != nullptr && node_can_run_tasks(node->before);
    const bool usable_after = node->after != nullptr && node_can_run_tasks(node->after);
    if (!usable_before || usable_after) return;
    // The node just became unusable: every service with active tasks on it must react.
    const std::string& node_id = node->current().meta().id();
    for (const std::string_view task_id :
         context_.store.table<proto::Task>().find(store::Index::kNodeId, node_id)) {
      const proto::Task* task = context_.store.get<proto::Task>(task_id);
      if (is_active(*task)) dirty_.insert(task->service_id());
    }
  }
}

void ReplicatedOrchestrator::on_store_commit(std::uint64_t) { reconcile_dirty(); }

void ReplicatedOrchestrator::on_store_reset() {
  mark_all();
  reconcile_dirty();
}

void ReplicatedOrchestrator::reconcile_dirty() {
  for (const std::string& id : take_ready(dirty_, in_flight_)) reconcile(id);
}

void ReplicatedOrchestrator::reconcile(const std::string& service_id) {
  const store::Store& store = context_.store;
  const proto::Service* service = store.get<proto::Service>(service_id);
  const store::IdSet& task_ids =
      store.table<proto::Task>().find(store::Index::kServiceId, service_id);
  store::WriteTx tx;
  std::vector<RestartSupervisor::DelayedStart> starts;

  if (service == nullptr) {
    for (const std::string_view id : task_ids) {
      const proto::Task& task = *store.get<proto::Task>(id);
      if (task.desired_state() >= proto::TASK_STATE_REMOVE) continue;
      proto::Task removed = task;
      removed.set_desired_state(proto::TASK_STATE_REMOVE);
      tx.update(std::move(removed));
    }
  } else if (is_replicated(service)) {
    const TimePoint now = context_.clock.now();
    std::map<std::uint64_t, std::vector<const proto::Task*>> slots;
    for (const std::string_view id : task_ids) {
      const proto::Task* task = store.get<proto::Task>(id);
      slots[task->slot()].push_back(task);
    }
    // Slots that hold (or are about to hold) a task, or whose last task ended for good.
    std::vector<std::uint64_t> runnable;
    std::set<std::uint64_t> taken;
    for (const auto& [slot, tasks] : slots) {
      bool holds_task = false;
      const proto::Task* newest = nullptr;
      for (const proto::Task* task : tasks) {
        if (newest == nullptr || task->meta().created_at_ns() > newest->meta().created_at_ns() ||
            (task->meta().created_at_ns() == newest->meta().created_at_ns() &&
             task->meta().id() > newest->meta().id())) {
          newest = task;
        }
        if (!is_active(*task)) continue;
        const proto::Node* node =
            task->node_id().empty() ? nullptr : store.get<proto::Node>(task->node_id());
        const bool stranded = !task->node_id().empty() && !node_can_run_tasks(node);
        if (has_ended(*task) || stranded) {
          const bool draining = stranded && (node == nullptr || node->spec().availability() ==
                                                                    proto::NODE_AVAILABILITY_DRAIN);
          if (auto start = restarts_.restart(tx, *service, *task, draining)) {
            starts.push_back(std::move(*start));
          }
          // Either a replacement now holds the slot, or the policy says the slot is done: both
          // count, so that a task that ended for good is not replaced in another slot.
          holds_task = true;
        } else {
          holds_task = true;
        }
      }
      if (!holds_task && newest != nullptr && has_ended(*newest) && !is_active(*newest) &&
          !restarts_.would_restart(*service, *newest) &&
          newest->desired_state() < proto::TASK_STATE_REMOVE) {
        holds_task = true;  // finished for good (restart condition none / on-failure)
      }
      if (holds_task) {
        runnable.push_back(slot);
        taken.insert(slot);
      }
    }
    const std::uint64_t replicas = service->spec().replicas();
    if (runnable.size() < replicas) {
      std::uint64_t slot = 1;
      for (std::uint64_t missing = replicas - runnable.size(); missing > 0; ++slot) {
        if (taken.count(slot) != 0) continue;
        tx.create(new_task(*service, slot, "", proto::TASK_STATE_RUNNING, context_.rng, now));
        --missing;
      }
      context_.cost.charge(Work::kOrchestratorTask, replicas - runnable.size());
    } else if (runnable.size() > replicas) {
      // Scale down removes the highest slots.
      for (std::size_t i = replicas; i < runnable.size(); ++i) {
        for (const proto::Task* task : slots[runnable[i]]) {
          if (!is_active(*task)) continue;
          proto::Task removed = *task;
          removed.set_desired_state(proto::TASK_STATE_REMOVE);
          tx.update(std::move(removed));
        }
      }
      context_.cost.charge(Work::kOrchestratorTask, runnable.size() - replicas);
    }
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
                                return;  // this orchestrator is about to be stopped
                              }
                              // Look again at what the store holds now (ours applied, or a stale
                              // write failed).
                              dirty_.insert(service_id);
                              reconcile_dirty();
                            });
}

}  // namespace herd::manager
