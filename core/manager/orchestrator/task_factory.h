// Building new tasks from a service, and the task-state predicates the orchestrators share.
// Pure functions; ids come from the caller's Rng, so they are deterministic.
#pragma once

#include <cstdint>
#include <string>

#include "core/runtime/rng.h"
#include "core/runtime/time.h"
#include "proto/objects.pb.h"

namespace herd::manager {

// A new task of `service` in `slot` (replicated) or on `node_id` (global, slot 0), observed NEW,
// with the given desired state.
proto::Task new_task(const proto::Service& service, std::uint64_t slot, const std::string& node_id,
                     proto::TaskState desired, Rng& rng, TimePoint now);

// Desired to run (or to get ready to): the task holds its slot.
inline bool is_active(const proto::Task& task) {
  return task.desired_state() <= proto::TASK_STATE_RUNNING;
}

// Observed past RUNNING: it has ended, one way or another.
inline bool has_ended(const proto::Task& task) {
  return task.status().state() > proto::TASK_STATE_RUNNING;
}

// A node a task can keep running on: known, not down, not drained.
bool node_can_run_tasks(const proto::Node* node);

}  // namespace herd::manager
