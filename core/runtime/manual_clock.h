// ManualClock: a Clock whose time moves only when the owner says so. For unit tests and tools
// that drive one component by hand; simnet has its own clock tied to its event loop.
//
// advance(d) fires every timer due at or before now + d in (due time, scheduling order), with
// now() equal to each timer's due time while it runs; timers scheduled by a callback fire in the
// same advance() when they fall due within it. Deterministic.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <utility>

#include "core/runtime/clock.h"

namespace herd {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimePoint start = TimePoint()) : now_(start) {}

  TimePoint now() const override { return now_; }

  TimerId schedule_after(Duration delay, std::function<void()> callback) override;
  void cancel(TimerId id) override;

  // Moves time forward by `d` (>= 0), firing due timers on the way. Returns how many fired.
  int advance(Duration d);

  std::size_t pending() const { return timers_.size(); }

 private:
  struct Key {
    TimePoint due;
    std::uint64_t sequence;
    friend auto operator<=>(const Key&, const Key&) = default;
  };

  TimePoint now_;
  std::uint64_t next_sequence_ = 1;
  std::map<Key, std::function<void()>> timers_;
  std::map<TimerId, Key> keys_;
};

}  // namespace herd
