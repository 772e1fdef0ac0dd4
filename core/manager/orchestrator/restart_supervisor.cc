#include "core/manager/orchestrator/restart_supervisor.h"

#include "core/manager/orchestrator/task_factory.h"
#include "core/store/object_traits.h"

namespace herd::manager {

RestartSupervisor::~RestartSupervisor() {
  for (const auto& [id, timer] : timers_) context_.clock.cancel(timer);
}

std::string RestartSupervisor::history_key(const proto::Task& task) {
  return store::task_slot_key(task);
}

bool RestartSupervisor::would_restart(const proto::Service& service, const proto::Task& task) {
  const proto::RestartPolicy& policy = service.spec().task().restart();
  switch (policy.condition()) {
    case proto::RESTART_CONDITION_NONE:
      return false;
    case proto::RESTART_CONDITION_ON_FAILURE:
      if (task.status().state() == proto::TASK_STATE_COMPLETE) return false;
      break;
    default:
      break;
  }
  if (policy.max_attempts() == 0) return true;
  const auto it = history_.find(history_key(task));
  if (it == history_.end() || it->second.spec_version != service.spec_version()) return true;
  std::size_t recent = it->second.restarts_ns.size();
  if (policy.window_ns() > 0) {
    const std::int64_t horizon = to_nanos(context_.clock.now()) - policy.window_ns();
    recent = 0;
    for (std::int64_t at : it->second.restarts_ns) recent += at >= horizon ? 1 : 0;
  }
  return recent < policy.max_attempts();
}

std::optional<RestartSupervisor::DelayedStart> RestartSupervisor::restart(
    store::WriteTx& tx, const proto::Service& service, const proto::Task& task, bool draining) {
  if (is_active(task)) {
    proto::Task old = task;
    old.set_desired_state(proto::TASK_STATE_SHUTDOWN);
    old.mutable_meta()->set_updated_at_ns(to_nanos(context_.clock.now()));
    tx.update(std::move(old));
  }
  if (!would_restart(service, task)) return std::nullopt;

  const TimePoint now = context_.clock.now();
  History& history = history_[history_key(task)];
  if (history.spec_version != service.spec_version()) {
    history = History{service.spec_version(), {}};
  }
  history.restarts_ns.push_back(to_nanos(now));
  while (history.restarts_ns.size() > service.spec().task().restart().max_attempts() + 1) {
    history.restarts_ns.pop_front();
  }

  const Duration delay =
      draining ? Duration::zero() : Duration(service.spec().task().restart().delay_ns());
  const bool global = service.spec().mode() == proto::SERVICE_MODE_GLOBAL;
  proto::Task replacement =
      new_task(service, global ? 0 : task.slot(), global ? task.node_id() : std::string(),
               delay > Duration::zero() ? proto::TASK_STATE_READY : proto::TASK_STATE_RUNNING,
               context_.rng, now);
  const std::string id = replacement.meta().id();
  tx.create(std::move(replacement));
  context_.cost.charge(Work::kOrchestratorTask, 1);
  if (delay <= Duration::zero()) return std::nullopt;
  return DelayedStart{id, delay};
}

void RestartSupervisor::arm(const DelayedStart& start) {
  const auto existing = timers_.find(start.task_id);
  if (existing != timers_.end()) context_.clock.cancel(existing->second);
  timers_[start.task_id] =
      context_.clock.schedule_after(start.delay, [this, id = start.task_id] { start_now(id); });
}

void RestartSupervisor::resume() {
  const auto& ready = context_.store.table<proto::Task>().find(
      store::Index::kDesiredState, std::to_string(proto::TASK_STATE_READY));
  for (const std::string_view id : ready) {
    const proto::Task* task = context_.store.get<proto::Task>(id);
    const proto::Service* service = context_.store.get<proto::Service>(task->service_id());
    if (service == nullptr || has_ended(*task)) continue;
    arm(DelayedStart{std::string(id), Duration(service->spec().task().restart().delay_ns())});
  }
}

void RestartSupervisor::start_now(const std::string& task_id) {
  timers_.erase(task_id);
  const proto::Task* task = context_.store.get<proto::Task>(task_id);
  if (task == nullptr || task->desired_state() != proto::TASK_STATE_READY) return;
  proto::Task started = *task;
  started.set_desired_state(proto::TASK_STATE_RUNNING);
  started.mutable_meta()->set_updated_at_ns(to_nanos(context_.clock.now()));
  store::WriteTx tx;
  tx.update(std::move(started));
  context_.proposer.propose(std::move(tx).release(), [this, task_id](const Status& status) {
    // A concurrent write to the task made ours stale: try again with what is stored now.
    if (status.code() == StatusCode::kAborted) arm(DelayedStart{task_id, Duration::zero()});
  });
}

}  // namespace herd::manager
