#include "core/runtime/check.h"

#include <cstdio>
#include <cstdlib>

namespace herd {
namespace {

// The one process-wide mutable value in core: written once at a program edge, read only while
// aborting, so it cannot reach messages, traces or output.
std::string& failure_context() {
  static std::string context;
  return context;
}

}  // namespace

void set_check_failure_context(std::string context) { failure_context() = std::move(context); }

namespace internal {

CheckFailure::CheckFailure(const char* file, int line, const char* condition)
    : file_(file), line_(line), condition_(condition) {}

CheckFailure::~CheckFailure() {
  const std::string message = message_.str();
  const std::string& context = failure_context();
  std::fprintf(stderr, "CHECK failed at %s:%d: %s%s%s%s%s\n", file_, line_, condition_,
               message.empty() ? "" : ": ", message.c_str(), context.empty() ? "" : " [",
               context.empty() ? "" : (context + "]").c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace internal
}  // namespace herd
