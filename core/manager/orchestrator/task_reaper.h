// TaskReaper: deletes tasks nobody needs any more (SwarmKit's task reaper).
//
// Per replicated slot, or per (service, node) for global tasks, it keeps at most the cluster's
// task history limit (default 5) and deletes the oldest tasks that have ended (observed past
// RUNNING) or never ran (observed before ASSIGNED with desired past RUNNING). Tasks with desired
// REMOVE go as soon as they have stopped or were never assigned. It looks only at slots that
// changed, after each commit, with at most one deletion transaction in flight. Deterministic.
#pragma once

#include <set>
#include <string>

#include "core/manager/leader_context.h"

namespace herd::manager {

class TaskReaper final : public store::Watcher {
 public:
  static constexpr std::int64_t kDefaultHistoryLimit = 5;

  explicit TaskReaper(LeaderContext& context);
  ~TaskReaper() override;
  TaskReaper(const TaskReaper&) = delete;
  TaskReaper& operator=(const TaskReaper&) = delete;

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t version) override;
  void on_store_reset() override;

 private:
  void mark_all();
  void reap();
  std::int64_t history_limit() const;

  LeaderContext& context_;
  std::set<std::string, std::less<>> dirty_slots_;
  bool in_flight_ = false;
};

}  // namespace herd::manager
