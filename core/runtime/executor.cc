#include "core/runtime/executor.h"

namespace herd {

std::string_view run_state_name(RunState state) {
  switch (state) {
    case RunState::kStarting:
      return "starting";
    case RunState::kRunning:
      return "running";
    case RunState::kExited:
      return "exited";
    case RunState::kFailed:
      return "failed";
    case RunState::kStopped:
      return "stopped";
  }
  return "unknown";
}

}  // namespace herd
