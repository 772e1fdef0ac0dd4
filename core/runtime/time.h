// Time in herd: integer nanoseconds, never floating point, never the wall clock.
//
// Duration is std::chrono::nanoseconds. TimePoint is a point on a node's own monotonic clock
// (virtual time in simnet, steady_clock in realnode) counted from that clock's epoch; points of
// different nodes are not comparable in general (simnet can skew them on purpose).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/runtime/result.h"

namespace herd {

using Duration = std::chrono::nanoseconds;

// The clock type of TimePoint. It has no now(): time is read through a Clock object only.
struct LocalClock {
  using rep = std::int64_t;
  using period = std::nano;
  using duration = Duration;
  using time_point = std::chrono::time_point<LocalClock, Duration>;
  static constexpr bool is_steady = true;
};

using TimePoint = LocalClock::time_point;

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

inline constexpr std::int64_t to_nanos(TimePoint t) { return t.time_since_epoch().count(); }
inline constexpr TimePoint time_from_nanos(std::int64_t nanos) {
  return TimePoint(Duration(nanos));
}

// Parses Go-style durations as used by scenario files and flags: "250ms", "30s", "1h30m",
// "1.5s", "200us". Units: ns, us (or µs), ms, s, m, h. A bare number is an error.
Result<Duration> parse_duration(std::string_view text);

// The shortest exact form of `d` in the same syntax ("1h30m", "250ms", "0s").
std::string format_duration(Duration d);

}  // namespace herd
