// Executor: runs a worker's tasks. The agent is its only user.
//
// start() begins running a task and returns at once; every change of the task's run state is
// reported afterwards to the listener, on the node's event thread, in order per task. stop()
// asks a running task to end (after `grace` it is killed). A task the executor knows stays known
// until remove(), so after an agent restart list() and inspect() say what still runs.
// simnet implements it with a simulated runtime (start latency, failure odds, run time drawn from
// the seed); realnode with child processes, or with the same simulated runtime on the real clock.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/status.h"
#include "core/runtime/time.h"
#include "proto/objects.pb.h"

namespace herd {

enum class RunState {
  kStarting,  // accepted, not yet running (pulling, forking, start latency)
  kRunning,
  kExited,   // ended on its own with exit code 0
  kFailed,   // could not start, or ended with a non-zero exit code
  kStopped,  // ended because stop() asked it to
};

std::string_view run_state_name(RunState state);

struct RunStatus {
  std::string task_id;
  RunState state = RunState::kStarting;
  int exit_code = 0;
  std::string message;  // why it failed, for the task's status
};

class ExecutorListener {
 public:
  virtual ~ExecutorListener() = default;
  virtual void on_run_status(const RunStatus& status) = 0;
};

class Executor {
 public:
  virtual ~Executor() = default;

  virtual void set_listener(ExecutorListener* listener) = 0;

  // already_exists when the task is known; invalid_argument when the spec cannot run here.
  virtual Status start(std::string_view task_id, const proto::ContainerSpec& spec) = 0;
  // not_found for an unknown task; ok (and no report) when it has already ended.
  virtual Status stop(std::string_view task_id, Duration grace) = 0;
  // Forgets an ended task; failed_precondition while it still runs.
  virtual Status remove(std::string_view task_id) = 0;

  virtual std::optional<RunStatus> inspect(std::string_view task_id) const = 0;
  // Ids of every known task, sorted.
  virtual std::vector<std::string> list() const = 0;
};

}  // namespace herd
