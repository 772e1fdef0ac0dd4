// SyntheticExecutor: an Executor that runs no processes, only the life of a task on a clock.
//
// A started task reports STARTING at once, then after its spec's start latency either fails
// (with its fail probability, decided by the Rng) or reports RUNNING; a task with a run time
// exits on its own after it (code 0 is COMPLETE, anything else FAILED); stop() ends a running
// task after a tenth of its grace period. It is simnet's task runtime and realnode's
// `--executor synthetic`: it uses only the Clock and the Rng, so a simulated run stays
// deterministic and the control plane can be measured without starting processes. Tasks are
// remembered until remove(), as a container runtime would.
#pragma once

#include <map>
#include <string>

#include "core/runtime/clock.h"
#include "core/runtime/executor.h"
#include "core/runtime/rng.h"

namespace herd::agent {

class SyntheticExecutor final : public Executor {
 public:
  SyntheticExecutor(Clock& clock, Rng& rng) : clock_(clock), rng_(rng) {}
  ~SyntheticExecutor() override;
  SyntheticExecutor(const SyntheticExecutor&) = delete;
  SyntheticExecutor& operator=(const SyntheticExecutor&) = delete;

  void set_listener(ExecutorListener* listener) override { listener_ = listener; }
  Status start(std::string_view task_id, const proto::ContainerSpec& spec) override;
  Status stop(std::string_view task_id, Duration grace) override;
  Status remove(std::string_view task_id) override;
  std::optional<RunStatus> inspect(std::string_view task_id) const override;
  std::vector<std::string> list() const override;

  // Tasks currently starting or running (the "containers" alive), and their ids in order.
  std::size_t alive() const { return alive_; }
  std::vector<std::string> alive_ids() const;

 private:
  struct Run {
    RunStatus status;
    proto::SimulatedTaskBehaviour behaviour;
    TimerId timer;
  };

  void transition(const std::string& task_id, RunState state, int exit_code, std::string message);
  void set_timer(Run& run, Duration delay, std::function<void()> callback);

  Clock& clock_;
  Rng& rng_;
  ExecutorListener* listener_ = nullptr;
  std::map<std::string, Run, std::less<>> runs_;
  std::size_t alive_ = 0;
};

}  // namespace herd::agent
