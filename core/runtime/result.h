// Result<T>: a value or the Status that explains why there is none.
//
// Returned across module boundaries in place of exceptions or out-parameters. Reading the value
// of a failed Result is a bug and aborts through HERD_CHECK. [[nodiscard]], like Status.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "core/runtime/check.h"
#include "core/runtime/status.h"

namespace herd {

template <typename T>
class [[nodiscard]] Result {
 public:
  static_assert(!std::is_same_v<std::remove_cvref_t<T>, Status>, "use Status, not Result<Status>");

  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}        // NOLINT: implicit
  Result(Status status) : state_(std::in_place_index<1>, std::move(status)) {  // NOLINT
    HERD_CHECK(!std::get<1>(state_).is_ok()) << "a Result built from a Status must be an error";
  }

  bool ok() const { return state_.index() == 0; }

  // The error, or ok when there is a value.
  Status status() const { return ok() ? Status::ok() : std::get<1>(state_); }

  T& value() & {
    check_has_value();
    return std::get<0>(state_);
  }
  const T& value() const& {
    check_has_value();
    return std::get<0>(state_);
  }
  T&& value() && {
    check_has_value();
    return std::get<0>(std::move(state_));
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void check_has_value() const {
    HERD_CHECK(ok()) << "value() of a failed Result: " << std::get<1>(state_).to_string();
  }

  std::variant<T, Status> state_;
};

}  // namespace herd

#define HERD_CONCAT_INNER(a, b) a##b
#define HERD_CONCAT(a, b) HERD_CONCAT_INNER(a, b)

// `HERD_ASSIGN_OR_RETURN(auto config, load_config(path));` declares `config` from a Result's
// value, or returns the Result's Status from the enclosing function.
#define HERD_ASSIGN_OR_RETURN(lhs, expr) \
  HERD_ASSIGN_OR_RETURN_IMPL(HERD_CONCAT(herd_result_, __LINE__), lhs, expr)
#define HERD_ASSIGN_OR_RETURN_IMPL(result, lhs, expr) \
  auto result = (expr);                               \
  if (!result.ok()) return result.status();           \
  lhs = std::move(result).value()
