// Status: the outcome of an operation that crosses a module boundary.
//
// A Status is either ok or carries one code from a small fixed set and a message that names the
// thing at fault ("timeline[3].target: unknown host 'w99'"). It is a plain value, cheap when ok,
// and [[nodiscard]]: ignoring one is a compile error under -Werror. Exceptions never cross module
// boundaries in herd; edges that call throwing libraries convert their errors into a Status.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace herd {

enum class StatusCode : std::uint8_t {
  kOk,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kNotLeader,
  kUnavailable,
  kCorruption,
  kIoError,
  kAborted,
  kResourceExhausted,
};

// The snake_case name of a code, as used in messages and JSON ("not_leader").
std::string_view status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  static Status invalid_argument(std::string message) {
    return Status(StatusCode::kInvalidArgument, std::move(message));
  }
  static Status not_found(std::string message) {
    return Status(StatusCode::kNotFound, std::move(message));
  }
  static Status already_exists(std::string message) {
    return Status(StatusCode::kAlreadyExists, std::move(message));
  }
  static Status failed_precondition(std::string message) {
    return Status(StatusCode::kFailedPrecondition, std::move(message));
  }
  static Status not_leader(std::string message) {
    return Status(StatusCode::kNotLeader, std::move(message));
  }
  static Status unavailable(std::string message) {
    return Status(StatusCode::kUnavailable, std::move(message));
  }
  static Status corruption(std::string message) {
    return Status(StatusCode::kCorruption, std::move(message));
  }
  static Status io_error(std::string message) {
    return Status(StatusCode::kIoError, std::move(message));
  }
  static Status aborted(std::string message) {
    return Status(StatusCode::kAborted, std::move(message));
  }
  static Status resource_exhausted(std::string message) {
    return Status(StatusCode::kResourceExhausted, std::move(message));
  }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // A copy whose message is prefixed with `context` ("loading scenario: ...").
  Status with_context(std::string_view context) const;

  // "ok", or "<code name>: <message>".
  std::string to_string() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

std::ostream& operator<<(std::ostream& out, const Status& status);

}  // namespace herd

// Returns from the enclosing function when `expr` yields a non-ok Status.
#define HERD_RETURN_IF_ERROR(expr)                  \
  do {                                              \
    ::herd::Status herd_status_ = (expr);           \
    if (!herd_status_.is_ok()) return herd_status_; \
  } while (false)
