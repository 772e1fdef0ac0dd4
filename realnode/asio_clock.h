// AsioClock: the real Clock of realnode, steady_clock time and asio steady_timer timers.
//
// now() counts steady_clock from the clock's construction. Timers run on the io_context passed in,
// which is the one thread that drives the core; schedule_after(), cancel() and the destructor must
// be called on that thread too. A callback never runs inside schedule_after(), and after cancel()
// (or the clock's destruction) it never runs, even if its timer had already expired and was queued.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>

#include "core/runtime/clock.h"

namespace herd::realnode {

class AsioClock final : public Clock {
 public:
  explicit AsioClock(boost::asio::io_context& io);
  AsioClock(const AsioClock&) = delete;
  AsioClock& operator=(const AsioClock&) = delete;
  ~AsioClock() override;

  TimePoint now() const override;
  TimerId schedule_after(Duration delay, std::function<void()> callback) override;
  void cancel(TimerId id) override;

  // Timers scheduled and neither fired nor cancelled.
  std::size_t pending() const { return timers_.size(); }

 private:
  struct Entry {
    std::unique_ptr<boost::asio::steady_timer> timer;
    std::function<void()> callback;
  };

  void fire(TimerId id);

  boost::asio::io_context& io_;
  std::chrono::steady_clock::time_point epoch_;
  TimerId next_id_;
  // The map, not the asio timer, decides whether a callback runs: a timer that expired before
  // cancel() still has its completion handler queued, and that handler finds no entry.
  std::map<TimerId, Entry> timers_;
  // Completion handlers hold a weak reference so they do nothing once the clock is destroyed.
  std::shared_ptr<AsioClock*> alive_;
};

}  // namespace herd::realnode
