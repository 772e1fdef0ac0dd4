#include "core/manager/orchestrator/update_supervisor.h"

#include <algorithm>
#include <vector>

#include "core/manager/orchestrator/task_factory.h"
#include "core/store/write_tx.h"

namespace herd::manager {
namespace {

bool in_progress(proto::UpdateState state) {
  return state == proto::UPDATE_STATE_UPDATING || state == proto::UPDATE_STATE_ROLLBACK_STARTED;
}

bool paused(proto::UpdateState state) {
  return state == proto::UPDATE_STATE_PAUSED || state == proto::UPDATE_STATE_ROLLBACK_PAUSED;
}

}  // namespace

UpdateSupervisor::UpdateSupervisor(LeaderContext& context) : context_(context) {
  context_.store.add_watcher(this);
  on_store_reset();
}

UpdateSupervisor::~UpdateSupervisor() {
  context_.store.remove_watcher(this);
  for (const auto& [when, timer] : wakeups_) context_.clock.cancel(timer);
}

void UpdateSupervisor::on_store_reset() {
  for (const auto& [id, service] : context_.store.table<proto::Service>().all()) dirty_.insert(id);
  step_dirty();
}

void UpdateSupervisor::on_store_event(const store::Event& event) {
  if (const auto* service = std::get_if<store::Change<proto::Service>>(&event)) {
    dirty_.insert(service->current().meta().id());
  } else if (const auto* task = std::get_if<store::Change<proto::Task>>(&event)) {
    const std::string& service_id = task->current().service_id();
    if (runs_.find(service_id) != runs_.end()) dirty_.insert(service_id);
  }
}

void UpdateSupervisor::on_store_commit(std::uint64_t) { step_dirty(); }

void UpdateSupervisor::step_dirty() {
  for (const std::string& id : take_ready(dirty_, in_flight_)) step(id);
}

void UpdateSupervisor::wake_at(TimePoint when) {
  if (wakeups_.count(when) != 0) return;
  wakeups_[when] = context_.clock.schedule_after(when - context_.clock.now(), [this, when] {
    wakeups_.erase(when);
    for (const auto& [id, run] : runs_) dirty_.insert(id);
    step_dirty();
  });
}

void UpdateSupervisor::propose(const std::string& service_id, proto::StoreTransaction transaction) {
  in_flight_.insert(service_id);
  context_.proposer.propose(std::move(transaction), [this, service_id](const Status& status) {
    in_flight_.erase(service_id);
    if (status.code() == StatusCode::kNotLeader || status.code() == StatusCode::kUnavailable)
      return;
    dirty_.insert(service_id);
    step_dirty();
  });
}

void UpdateSupervisor::set_status(const proto::Service& service, proto::UpdateState state,
                                  const std::string& message) {
  proto::Service updated = service;
  proto::UpdateStatus* status = updated.mutable_update_status();
  const std::int64_t now = to_nanos(context_.clock.now());
  if (in_progress(state) && !in_progress(service.update_status().state()))
    status->set_started_at_ns(now);
  if (state == proto::UPDATE_STATE_COMPLETED || state == proto::UPDATE_STATE_ROLLBACK_COMPLETED) {
    status->set_completed_at_ns(now);
  }
  status->set_state(state);
  status->set_message(message);
  store::WriteTx tx;
  tx.update(std::move(updated));
  propose(service.meta().id(), std::move(tx).release());
}

void UpdateSupervisor::rollback(const proto::Service& service, const std::string& message) {
  proto::Service updated = service;
  *updated.mutable_spec() = service.previous_spec();
  *updated.mutable_previous_spec() = service.spec();
  updated.set_spec_version(service.spec_version() + 1);
  proto::UpdateStatus* status = updated.mutable_update_status();
  status->set_state(proto::UPDATE_STATE_ROLLBACK_STARTED);
  status->set_started_at_ns(to_nanos(context_.clock.now()));
  status->set_message(message);
  store::WriteTx tx;
  tx.update(std::move(updated));
  propose(service.meta().id(), std::move(tx).release());
}

void UpdateSupervisor::step(const std::string& service_id) {
  const store::Store& store = context_.store;
  const proto::Service* service = store.get<proto::Service>(service_id);
  if (service == nullptr) {
    runs_.erase(service_id);
    return;
  }
  const proto::UpdateState state = service->update_status().state();
  if (paused(state)) {
    runs_.erase(service_id);
    return;
  }
  const bool rolling_back = state == proto::UPDATE_STATE_ROLLBACK_STARTED;
  const proto::UpdateConfig& config =
      rolling_back ? service->spec().rollback() : service->spec().update();
  const TimePoint now = context_.clock.now();
  const Duration monitor(config.monitor_ns());

  // Active tasks by slot (global services: by node).
  std::map<std::string, std::vector<const proto::Task*>> slots;
  for (const std::string_view id :
       store.table<proto::Task>().find(store::Index::kServiceId, service_id)) {
    const proto::Task* task = store.get<proto::Task>(id);
    if (is_active(*task)) slots[store::task_slot_key(*task)].push_back(task);
  }
  std::vector<std::string> dirty;
  for (const auto& [key, tasks] : slots) {
    const bool outdated = std::any_of(tasks.begin(), tasks.end(), [&](const proto::Task* t) {
      return t->spec_version() != service->spec_version();
    });
    if (outdated || tasks.size() > 1) dirty.push_back(key);
  }

  auto run_it = runs_.find(service_id);
  if (run_it == runs_.end() || run_it->second.spec_version != service->spec_version()) {
    if (dirty.empty()) {
      runs_.erase(service_id);
      if (in_progress(state)) {
        set_status(
            *service,
            rolling_back ? proto::UPDATE_STATE_ROLLBACK_COMPLETED : proto::UPDATE_STATE_COMPLETED,
            rolling_back ? "rollback completed" : "update completed");
      }
      return;
    }
    Run fresh;
    fresh.spec_version = service->spec_version();
    fresh.dirty_at_start = dirty.size();
    run_it = runs_.insert_or_assign(service_id, std::move(fresh)).first;
  }
  Run& run = run_it->second;
  store::WriteTx tx;

  // Follow the batch in flight.
  bool batch_settled = true;
  for (auto it = run.batch.begin(); it != run.batch.end();) {
    Tracked& tracked = it->second;
    const proto::Task* task = store.get<proto::Task>(it->first);
    if (task == nullptr) {
      it = run.batch.erase(it);
      continue;
    }
    if (!tracked.running_since && task->status().state() == proto::TASK_STATE_RUNNING) {
      tracked.running_since = now;
      if (!tracked.old_task_id.empty()) {
        // start-first: the replacement runs, so the old task can go.
        if (const proto::Task* old = store.get<proto::Task>(tracked.old_task_id);
            old && is_active(*old)) {
          proto::Task stopped = *old;
          stopped.set_desired_state(proto::TASK_STATE_SHUTDOWN);
          tx.update(std::move(stopped));
        }
      }
    }
    const bool within_monitor = !tracked.running_since || now < *tracked.running_since + monitor;
    if (!tracked.failed && has_ended(*task) && within_monitor) {
      tracked.failed = true;
      ++run.failures;
    }
    const bool settled = tracked.failed || (tracked.running_since && !within_monitor);
    if (!settled) {
      batch_settled = false;
      if (tracked.running_since) wake_at(*tracked.running_since + monitor);
    }
    ++it;
  }

  // Too many failures: the configured failure action.
  const double ratio = static_cast<double>(run.failures) /
                       static_cast<double>(std::max<std::size_t>(run.dirty_at_start, 1));
  if (run.failures > 0 && ratio > config.max_failure_ratio() &&
      config.failure_action() != proto::UPDATE_FAILURE_ACTION_CONTINUE) {
    const std::string why = std::to_string(run.failures) + " of " +
                            std::to_string(run.dirty_at_start) + " updated tasks failed";
    runs_.erase(run_it);
    if (config.failure_action() == proto::UPDATE_FAILURE_ACTION_ROLLBACK && !rolling_back &&
        service->has_previous_spec()) {
      rollback(*service, "update rolled back: " + why);
    } else {
      set_status(*service,
                 rolling_back ? proto::UPDATE_STATE_ROLLBACK_PAUSED : proto::UPDATE_STATE_PAUSED,
                 (rolling_back ? "rollback paused: " : "update paused: ") + why);
    }
    return;
  }

  if (batch_settled && !run.batch.empty()) {
    run.batch.clear();
    if (config.delay_ns() > 0) run.next_batch_at = now + Duration(config.delay_ns());
  }
  if (run.batch.empty() && run.next_batch_at && now < *run.next_batch_at) {
    wake_at(*run.next_batch_at);
  } else if (run.batch.empty()) {
    run.next_batch_at.reset();
    if (dirty.empty()) {
      runs_.erase(run_it);
      if (tx.empty()) {
        set_status(
            *service,
            rolling_back ? proto::UPDATE_STATE_ROLLBACK_COMPLETED : proto::UPDATE_STATE_COMPLETED,
            rolling_back ? "rollback completed" : "update completed");
        return;
      }
    } else {
      if (!in_progress(state)) {
        proto::Service updating = *service;
        updating.mutable_update_status()->set_state(proto::UPDATE_STATE_UPDATING);
        updating.mutable_update_status()->set_started_at_ns(to_nanos(now));
        updating.mutable_update_status()->set_message("update in progress");
        tx.update(std::move(updating));
      }
      const std::size_t parallelism =
          config.parallelism() == 0 ? dirty.size() : config.parallelism();
      const bool start_first = config.order() == proto::UPDATE_ORDER_START_FIRST;
      for (std::size_t i = 0; i < dirty.size() && i < parallelism; ++i) {
        const std::vector<const proto::Task*>& tasks = slots[dirty[i]];
        // A clean task already in the slot stays; only the extras go.
        const proto::Task* keep = nullptr;
        for (const proto::Task* task : tasks) {
          if (task->spec_version() == service->spec_version() &&
              (keep == nullptr || task->meta().created_at_ns() > keep->meta().created_at_ns())) {
            keep = task;
          }
        }
        std::string old_id;
        for (const proto::Task* task : tasks) {
          if (task == keep) continue;
          if (start_first && keep == nullptr) {
            old_id = task->meta().id();
            continue;
          }
          proto::Task stopped = *task;
          stopped.set_desired_state(proto::TASK_STATE_SHUTDOWN);
          tx.update(std::move(stopped));
        }
        if (keep != nullptr) continue;
        const proto::Task& sample = *tasks.front();
        proto::Task fresh =
            new_task(*service, sample.slot(), sample.slot() == 0 ? sample.node_id() : "",
                     proto::TASK_STATE_RUNNING, context_.rng, now);
        run.batch[fresh.meta().id()] = Tracked{old_id, std::nullopt, false};
        tx.create(std::move(fresh));
      }
      context_.cost.charge(Work::kOrchestratorTask, tx.size());
    }
  }
  if (!tx.empty()) propose(service_id, std::move(tx).release());
}

}  // namespace herd::manager
