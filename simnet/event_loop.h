// EventLoop: simnet's single-threaded discrete-event loop over virtual time.
//
// Events run in (time, sequence) order: ties at the same nanosecond run in the order they were
// scheduled, so a run is a pure function of its inputs. Cancelling is O(1) (the event's slot is
// marked dead and skipped when it reaches the top of the heap); callbacks live in a slab of slots
// reused through a free list, so millions of pending timers cost one heap entry and one slot each.
// Time only moves forward. Deterministic: no wall clock, no threads.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <vector>

#include "core/runtime/time.h"

namespace herd::simnet {

class EventLoop {
 public:
  using EventId = std::uint64_t;  // slot in the low 32 bits, generation in the high 32
  using Observer = std::function<void(TimePoint time, std::uint64_t sequence)>;

  TimePoint now() const { return now_; }

  // Runs `callback` at `time` (clamped to now). Returns an id for cancel().
  EventId schedule_at(TimePoint time, std::function<void()> callback);
  EventId schedule_after(Duration delay, std::function<void()> callback) {
    return schedule_at(now_ + delay, std::move(callback));
  }
  // A no-op for events that already ran or were cancelled.
  void cancel(EventId id);

  // Runs the next event; false when none is left.
  bool step();
  // Runs every event due at or before `time`, then sets the clock to `time`.
  void run_until(TimePoint time);
  void run_for(Duration duration) { run_until(now_ + duration); }

  std::uint64_t events_run() const { return events_run_; }
  std::size_t pending() const { return live_; }
  // Event records allocated so far (they are reused, so this is the peak of pending events).
  std::size_t slot_count() const { return slots_.size(); }
  // Called before every event runs (for traces and statistics).
  void set_observer(Observer observer) { observer_ = std::move(observer); }

 private:
  struct Entry {
    std::int64_t time;
    std::uint64_t sequence;
    std::uint32_t slot;
    std::uint32_t generation;
    bool operator>(const Entry& other) const {
      return time != other.time ? time > other.time : sequence > other.sequence;
    }
  };
  struct Slot {
    std::function<void()> callback;
    std::uint32_t generation = 0;
    bool live = false;
  };

  void drop_dead_top();

  TimePoint now_;
  std::uint64_t next_sequence_ = 0;
  std::uint64_t events_run_ = 0;
  std::size_t live_ = 0;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  Observer observer_;
};

}  // namespace herd::simnet
