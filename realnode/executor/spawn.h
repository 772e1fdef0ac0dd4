// spawn_process: starts one task's process for the process executor, with posix_spawn.
//
// The command is resolved like execvp does, but through the child's own PATH (from `environment`)
// and against the child's working directory. The child gets its own process group (so signals to
// the group reach whatever it starts), stdin from /dev/null, stdout and stderr on the descriptors
// given, no other descriptor (even ones opened without O_CLOEXEC by other code), an empty signal
// mask and every signal at its default action. glibc's posix_spawn reports a failed exec as its
// return value, so a missing or unexecutable binary is an error here, never a child exiting 127.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/result.h"

namespace herd::realnode {

// The PATH a child gets when neither its spec nor the worker has one (Docker's default).
inline constexpr std::string_view kDefaultSearchPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

struct SpawnRequest {
  std::vector<std::string> argv;         // argv[0] is the command as the spec gave it
  std::vector<std::string> environment;  // "KEY=VALUE", the child's whole environment
  std::string working_dir;               // absolute, and must exist
  int stdout_fd = -1;
  int stderr_fd = -1;
};

// The child's pid, which is also its process group id. Errors name the binary and the errno
// text: not_found when there is no such binary, failed_precondition when it cannot be executed,
// resource_exhausted when the system is out of processes or memory, io_error otherwise.
Result<pid_t> spawn_process(const SpawnRequest& request);

}  // namespace herd::realnode
