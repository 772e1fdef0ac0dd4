#include "realnode/asio_clock.h"

#include <utility>

namespace herd::realnode {

AsioClock::AsioClock(boost::asio::io_context& io)
    : io_(io),
      epoch_(std::chrono::steady_clock::now()),
      alive_(std::make_shared<AsioClock*>(this)) {}

AsioClock::~AsioClock() {
  alive_.reset();
  for (auto& [id, entry] : timers_) entry.timer->cancel();
}

TimePoint AsioClock::now() const {
  return TimePoint(std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - epoch_));
}

TimerId AsioClock::schedule_after(Duration delay, std::function<void()> callback) {
  TimerId id = ++next_id_;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_);
  // A zero or negative delay still goes through the io_context, so it never runs inline.
  timer->expires_after(delay < Duration::zero() ? Duration::zero() : delay);
  std::weak_ptr<AsioClock*> alive = alive_;
  timer->async_wait([alive, id](const boost::system::error_code&) {
    if (auto self = alive.lock()) (*self)->fire(id);
  });
  timers_.emplace(id, Entry{std::move(timer), std::move(callback)});
  return id;
}

void AsioClock::cancel(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second.timer->cancel();
  timers_.erase(it);
}

void AsioClock::fire(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  std::function<void()> callback = std::move(it->second.callback);
  timers_.erase(it);
  callback();
}

}  // namespace herd::realnode
