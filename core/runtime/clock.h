// Clock: a node's monotonic time and its timers. The only way core code reads time or waits.
//
// now() never goes backwards. schedule_after() runs `callback` once, on the node's event thread,
// no earlier than `delay` from now; cancel() guarantees a callback that has not started will not
// run, and is a no-op for fired or unknown ids. Callbacks never run inside schedule_after().
// simnet implements it with virtual time (timers are events of the loop, fired on the host's
// local, possibly skewed clock); realnode with steady_clock and asio timers.
#pragma once

#include <functional>

#include "core/runtime/ids.h"
#include "core/runtime/time.h"

namespace herd {

class Clock {
 public:
  virtual ~Clock() = default;

  virtual TimePoint now() const = 0;
  virtual TimerId schedule_after(Duration delay, std::function<void()> callback) = 0;
  virtual void cancel(TimerId id) = 0;
};

// Owns at most one pending timer and cancels it when re-armed or destroyed, so a component's
// timers can never call back into it after it is gone.
class ScopedTimer {
 public:
  explicit ScopedTimer(Clock& clock) : clock_(&clock) {}
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;
  ~ScopedTimer() { cancel(); }

  // Replaces any pending callback with this one.
  void arm(Duration delay, std::function<void()> callback) {
    cancel();
    id_ = clock_->schedule_after(delay, [this, callback = std::move(callback)] {
      id_ = TimerId();
      callback();
    });
  }

  void cancel() {
    if (armed()) clock_->cancel(id_);
    id_ = TimerId();
  }

  bool armed() const { return id_ != TimerId(); }

 private:
  Clock* clock_;
  TimerId id_;
};

}  // namespace herd
