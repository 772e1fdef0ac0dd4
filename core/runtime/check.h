// HERD_CHECK: a broken invariant is a bug, so it aborts the process with a message.
//
//   HERD_CHECK(index <= last_index_) << "index " << index << " past the log";
//
// On failure the message, the file and line, and the process's failure context (the simulator
// sets "seed=42 scenario=swarm3k" so any abort can be replayed) go to stderr, then abort().
// The condition is always evaluated, in every build type.
#pragma once

#include <sstream>
#include <string>

namespace herd {

// Text added to every check failure. Set once at a program edge (herdsim, realnode); it never
// reaches messages, traces or reports, so it does not affect determinism.
void set_check_failure_context(std::string context);

namespace internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  [[noreturn]] ~CheckFailure();

  std::ostream& stream() { return message_; }

 private:
  const char* file_;
  int line_;
  const char* condition_;
  std::ostringstream message_;
};

}  // namespace internal
}  // namespace herd

// The switch/if shape keeps `if (a) HERD_CHECK(b); else ...` binding the way it reads.
#define HERD_CHECK(condition) \
  switch (0)                  \
  case 0:                     \
  default:                    \
    if (condition) {          \
    } else                    \
      ::herd::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()
