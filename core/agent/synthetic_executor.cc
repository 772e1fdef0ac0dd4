#include "core/agent/synthetic_executor.h"

namespace herd::agent {
namespace {

bool is_alive(RunState state) {
  return state == RunState::kStarting || state == RunState::kRunning;
}

}  // namespace

SyntheticExecutor::~SyntheticExecutor() {
  for (const auto& [id, run] : runs_) clock_.cancel(run.timer);
}

void SyntheticExecutor::set_timer(Run& run, Duration delay, std::function<void()> callback) {
  clock_.cancel(run.timer);
  run.timer = clock_.schedule_after(delay, std::move(callback));
}

void SyntheticExecutor::transition(const std::string& task_id, RunState state, int exit_code,
                                   std::string message) {
  const auto it = runs_.find(task_id);
  if (it == runs_.end()) return;
  alive_ -= is_alive(it->second.status.state) ? 1 : 0;
  alive_ += is_alive(state) ? 1 : 0;
  it->second.status.state = state;
  it->second.status.exit_code = exit_code;
  it->second.status.message = std::move(message);
  // A copy: the listener may remove the task while it is being told.
  const RunStatus status = it->second.status;
  if (listener_ != nullptr) listener_->on_run_status(status);
}

Status SyntheticExecutor::start(std::string_view task_id, const proto::ContainerSpec& spec) {
  if (runs_.find(task_id) != runs_.end()) {
    return Status::already_exists("task " + std::string(task_id) + " is already known");
  }
  const std::string id(task_id);
  Run& run = runs_[id];
  run.status.task_id = id;
  run.status.state = RunState::kStopped;  // not alive until the transition below counts it
  run.behaviour = spec.simulated();
  transition(id, RunState::kStarting, 0, "starting");
  const Duration latency(std::max<std::int64_t>(run.behaviour.start_latency_ns(), 0));
  // Decided now, so the outcome does not depend on what else happens during the latency.
  const bool fails = rng_.chance(run.behaviour.fail_probability());
  set_timer(run, latency, [this, id, fails] {
    const auto it = runs_.find(id);
    if (it == runs_.end() || it->second.status.state != RunState::kStarting) return;
    if (fails) {
      transition(id, RunState::kFailed, 1, "task failed to start");
      return;
    }
    transition(id, RunState::kRunning, 0, "running");
    const auto after = runs_.find(id);
    if (after == runs_.end() || after->second.behaviour.run_for_ns() <= 0) return;
    const int code = after->second.behaviour.exit_code();
    set_timer(after->second, Duration(after->second.behaviour.run_for_ns()), [this, id, code] {
      const auto done = runs_.find(id);
      if (done == runs_.end() || done->second.status.state != RunState::kRunning) return;
      if (code == 0) {
        transition(id, RunState::kExited, 0, "finished");
      } else {
        transition(id, RunState::kFailed, code, "exited with code " + std::to_string(code));
      }
    });
  });
  return Status::ok();
}

Status SyntheticExecutor::stop(std::string_view task_id, Duration grace) {
  const auto it = runs_.find(task_id);
  if (it == runs_.end()) return Status::not_found("task " + std::string(task_id) + " is not known");
  const RunState state = it->second.status.state;
  if (state != RunState::kStarting && state != RunState::kRunning) return Status::ok();
  const std::string id(task_id);
  set_timer(it->second, grace / 10,
            [this, id] { transition(id, RunState::kStopped, 0, "stopped"); });
  return Status::ok();
}

Status SyntheticExecutor::remove(std::string_view task_id) {
  const auto it = runs_.find(task_id);
  if (it == runs_.end()) return Status::not_found("task " + std::string(task_id) + " is not known");
  const RunState state = it->second.status.state;
  if (state == RunState::kStarting || state == RunState::kRunning) {
    return Status::failed_precondition("task " + std::string(task_id) + " is still running");
  }
  clock_.cancel(it->second.timer);
  runs_.erase(it);
  return Status::ok();
}

std::optional<RunStatus> SyntheticExecutor::inspect(std::string_view task_id) const {
  const auto it = runs_.find(task_id);
  if (it == runs_.end()) return std::nullopt;
  return it->second.status;
}

std::vector<std::string> SyntheticExecutor::list() const {
  std::vector<std::string> ids;
  ids.reserve(runs_.size());
  for (const auto& [id, run] : runs_) ids.push_back(id);
  return ids;
}

std::vector<std::string> SyntheticExecutor::alive_ids() const {
  std::vector<std::string> ids;
  ids.reserve(alive_);
  for (const auto& [id, run] : runs_) {
    if (is_alive(run.status.state)) ids.push_back(id);
  }
  return ids;
}

}  // namespace herd::agent
