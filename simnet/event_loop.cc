#include "simnet/event_loop.h"

namespace herd::simnet {

EventLoop::EventId EventLoop::schedule_at(TimePoint time, std::function<void()> callback) {
  if (time < now_) time = now_;
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& s = slots_[slot];
  s.callback = std::move(callback);
  s.live = true;
  ++live_;
  queue_.push(Entry{to_nanos(time), next_sequence_++, slot, s.generation});
  return (static_cast<EventId>(s.generation) << 32) | slot;
}

void EventLoop::cancel(EventId id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xFFFFFFFFU);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (slot >= slots_.size()) return;
  Slot& s = slots_[slot];
  if (!s.live || s.generation != generation) return;
  s.live = false;
  s.callback = nullptr;  // release captures now, not when the entry surfaces
  --live_;
}

void EventLoop::drop_dead_top() {
  while (!queue_.empty()) {
    const Entry& top = queue_.top();
    Slot& s = slots_[top.slot];
    if (s.live && s.generation == top.generation) return;
    if (s.generation == top.generation) {
      // Cancelled: the slot can be reused once its heap entry is gone.
      ++s.generation;
      free_slots_.push_back(top.slot);
    }
    queue_.pop();
  }
}

bool EventLoop::step() {
  drop_dead_top();
  if (queue_.empty()) return false;
  const Entry top = queue_.top();
  queue_.pop();
  Slot& s = slots_[top.slot];
  std::function<void()> callback = std::move(s.callback);
  s.callback = nullptr;
  s.live = false;
  ++s.generation;
  free_slots_.push_back(top.slot);
  --live_;
  now_ = time_from_nanos(top.time);
  ++events_run_;
  if (observer_) observer_(now_, top.sequence);
  callback();
  return true;
}

void EventLoop::run_until(TimePoint time) {
  for (;;) {
    drop_dead_top();
    if (queue_.empty() || queue_.top().time > to_nanos(time)) break;
    step();
  }
  if (time > now_) now_ = time;
}

}  // namespace herd::simnet
