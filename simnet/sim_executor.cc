#include "simnet/sim_executor.h"

#include <algorithm>

namespace herd::simnet {

SimExecutor::SimExecutor(Clock& clock, Rng& rng, Observer observer)
    : runtime_(clock, rng), observer_(std::move(observer)) {
  runtime_.set_listener(this);
}

Status SimExecutor::start(std::string_view task_id, const proto::ContainerSpec& spec) {
  HERD_RETURN_IF_ERROR(runtime_.start(task_id, spec));
  ++stats_.started;
  return Status::ok();
}

Status SimExecutor::stop(std::string_view task_id, Duration grace) {
  return runtime_.stop(task_id, grace);
}

Status SimExecutor::remove(std::string_view task_id) { return runtime_.remove(task_id); }

std::optional<RunStatus> SimExecutor::inspect(std::string_view task_id) const {
  return runtime_.inspect(task_id);
}

std::vector<std::string> SimExecutor::list() const { return runtime_.list(); }

void SimExecutor::on_run_status(const RunStatus& status) {
  if (status.state == RunState::kFailed) ++stats_.failed;
  if (status.state == RunState::kExited) ++stats_.exited;
  stats_.alive = runtime_.alive();
  stats_.peak_alive = std::max(stats_.peak_alive, stats_.alive);
  if (observer_) observer_(status);
  if (listener_ != nullptr) listener_->on_run_status(status);
}

}  // namespace herd::simnet
