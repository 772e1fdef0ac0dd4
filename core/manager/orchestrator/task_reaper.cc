#include "core/manager/orchestrator/task_reaper.h"

#include <algorithm>
#include <vector>

#include "core/manager/orchestrator/task_factory.h"
#include "core/store/write_tx.h"

namespace herd::manager {
namespace {

bool removable_now(const proto::Task& task) {
  return task.desired_state() >= proto::TASK_STATE_REMOVE &&
         (task.status().state() < proto::TASK_STATE_ASSIGNED || has_ended(task));
}

bool is_history(const proto::Task& task) {
  return has_ended(task) || (task.status().state() < proto::TASK_STATE_ASSIGNED &&
                             task.desired_state() > proto::TASK_STATE_RUNNING);
}

}  // namespace

TaskReaper::TaskReaper(LeaderContext& context) : context_(context) {
  context_.store.add_watcher(this);
  mark_all();
  reap();
}

TaskReaper::~TaskReaper() { context_.store.remove_watcher(this); }

std::int64_t TaskReaper::history_limit() const {
  const auto& clusters = context_.store.table<proto::Cluster>().all();
  if (clusters.empty()) return kDefaultHistoryLimit;
  return clusters.begin()->second.spec().orchestration().task_history_retention_limit();
}

void TaskReaper::mark_all() {
  for (const auto& [key, ids] : context_.store.table<proto::Task>().index(store::Index::kSlot)) {
    dirty_slots_.insert(key);
  }
}

void TaskReaper::on_store_event(const store::Event& event) {
  const auto* task = std::get_if<store::Change<proto::Task>>(&event);
  if (task == nullptr || task->removed()) return;
  // Only a new task, a new desired state or a task that became history can change what a slot
  // must shed; status progress (ASSIGNED -> RUNNING, most of a deploy's events) cannot.
  const proto::Task& after = *task->after;
  const bool matters = task->created() || task->before->desired_state() != after.desired_state() ||
                       removable_now(after) || (is_history(after) && !is_history(*task->before));
  if (matters) dirty_slots_.insert(store::task_slot_key(after));
}

void TaskReaper::on_store_commit(std::uint64_t) { reap(); }

void TaskReaper::on_store_reset() {
  mark_all();
  reap();
}

void TaskReaper::reap() {
  if (in_flight_ || dirty_slots_.empty()) return;
  const store::Store& store = context_.store;
  const std::int64_t limit = history_limit();
  store::WriteTx tx;
  tx.set_independent_actions();
  for (const std::string& key : dirty_slots_) {
    std::vector<const proto::Task*> history;
    std::size_t total = 0;
    for (const std::string_view id : store.table<proto::Task>().find(store::Index::kSlot, key)) {
      const proto::Task* task = store.get<proto::Task>(id);
      if (removable_now(*task)) {
        tx.remove(*task);
        continue;
      }
      ++total;
      if (is_history(*task)) history.push_back(task);
    }
    // A negative limit keeps every task, as in SwarmKit.
    if (limit < 0 || total <= static_cast<std::size_t>(limit)) continue;
    std::sort(history.begin(), history.end(), [](const proto::Task* a, const proto::Task* b) {
      if (a->meta().created_at_ns() != b->meta().created_at_ns()) {
        return a->meta().created_at_ns() < b->meta().created_at_ns();
      }
      return a->meta().id() < b->meta().id();
    });
    std::size_t excess = total - static_cast<std::size_t>(limit);
    for (std::size_t i = 0; i < history.size() && excess > 0; ++i, --excess) tx.remove(*history[i]);
  }
  dirty_slots_.clear();
  if (tx.empty()) return;
  in_flight_ = true;
  context_.cost.charge(Work::kOrchestratorTask, tx.size());
  context_.proposer.propose(std::move(tx).release(), [this](const Status& status) {
    in_flight_ = false;
    if (status.code() == StatusCode::kNotLeader || status.code() == StatusCode::kUnavailable) {
      return;
    }
    reap();
  });
}

}  // namespace herd::manager
