// SimExecutor: a host's simulated task runtime, implementing the Executor seam.
//
// Task lives come from agent::SyntheticExecutor (start latency, failure odds, run time and exit
// code from the task's ContainerSpec.simulated, decided by the host's seeded Rng on the host's
// local clock). On top, SimExecutor accounts resources (tasks alive now and at peak, starts,
// failures) and reports every state transition to an observer, which the simulation folds into
// the trace hash. It dies with its host on a crash: a crashed host runs no containers.
// Deterministic.
#pragma once

#include <cstdint>
#include <functional>

#include "core/agent/synthetic_executor.h"

namespace herd::simnet {

struct ExecutorStats {
  std::uint64_t started = 0;
  std::uint64_t failed = 0;
  std::uint64_t exited = 0;
  std::uint64_t alive = 0;  // starting or running now
  std::uint64_t peak_alive = 0;
};

class SimExecutor final : public Executor, private ExecutorListener {
 public:
  using Observer = std::function<void(const RunStatus& status)>;

  SimExecutor(Clock& clock, Rng& rng, Observer observer);

  void set_listener(ExecutorListener* listener) override { listener_ = listener; }
  Status start(std::string_view task_id, const proto::ContainerSpec& spec) override;
  Status stop(std::string_view task_id, Duration grace) override;
  Status remove(std::string_view task_id) override;
  std::optional<RunStatus> inspect(std::string_view task_id) const override;
  std::vector<std::string> list() const override;

  const ExecutorStats& stats() const { return stats_; }
  // Ids of the tasks starting or running, sorted.
  std::vector<std::string> alive_ids() const { return runtime_.alive_ids(); }

 private:
  void on_run_status(const RunStatus& status) override;

  agent::SyntheticExecutor runtime_;
  Observer observer_;
  ExecutorListener* listener_ = nullptr;
  ExecutorStats stats_;
};

}  // namespace herd::simnet
