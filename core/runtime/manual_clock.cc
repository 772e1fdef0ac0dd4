#include "core/runtime/manual_clock.h"

#include "core/runtime/check.h"

namespace herd {

TimerId ManualClock::schedule_after(Duration delay, std::function<void()> callback) {
  const Key key{now_ + (delay < Duration::zero() ? Duration::zero() : delay), next_sequence_++};
  const TimerId id(key.sequence);
  timers_.emplace(key, std::move(callback));
  keys_.emplace(id, key);
  return id;
}

void ManualClock::cancel(TimerId id) {
  const auto it = keys_.find(id);
  if (it == keys_.end()) return;
  timers_.erase(it->second);
  keys_.erase(it);
}

int ManualClock::advance(Duration d) {
  HERD_CHECK(d >= Duration::zero()) << "ManualClock cannot go back " << format_duration(-d);
  const TimePoint target = now_ + d;
  int fired = 0;
  while (!timers_.empty() && timers_.begin()->first.due <= target) {
    auto node = timers_.extract(timers_.begin());
    keys_.erase(TimerId(node.key().sequence));
    now_ = node.key().due;
    node.mapped()();
    ++fired;
  }
  now_ = target;
  return fired;
}

}  // namespace herd
