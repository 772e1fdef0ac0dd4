#include "simnet/event_loop.h"

#include <gtest/gtest.h>

#include <vector>

namespace herd::simnet {
namespace {

TEST(EventLoopTest, RunsByTimeThenInsertionOrder) {
  EventLoop loop;
  std::vector<int> order;
  loop.schedule_at(time_from_nanos(20), [&] { order.push_back(3); });
  loop.schedule_at(time_from_nanos(10), [&] { order.push_back(1); });
  loop.schedule_at(time_from_nanos(10), [&] { order.push_back(2); });
  loop.run_until(time_from_nanos(15));
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(to_nanos(loop.now()), 15);
  EXPECT_TRUE(loop.step());
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(to_nanos(loop.now()), 20);
  EXPECT_FALSE(loop.step());
  loop.run_for(Duration(5));
  EXPECT_EQ(to_nanos(loop.now()), 25);
}

TEST(EventLoopTest, CancelledEventsNeverRun) {
  EventLoop loop;
  int fired = 0;
  const auto a = loop.schedule_after(Duration(5), [&] { ++fired; });
  loop.schedule_after(Duration(6), [&] { fired += 10; });
  loop.cancel(a);
  loop.cancel(a);  // twice is harmless
  EXPECT_EQ(loop.pending(), 1U);
  loop.run_for(Duration(100));
  EXPECT_EQ(fired, 10);
  // A stale id does not cancel the event that reused its slot.
  const auto b = loop.schedule_after(Duration(1), [&] { fired += 100; });
  loop.cancel(a);
  loop.run_for(Duration(100));
  EXPECT_EQ(fired, 110);
  loop.cancel(b);  // already ran: a no-op
}

TEST(EventLoopTest, ObserverSeesEveryEvent) {
  EventLoop loop;
  std::vector<std::int64_t> seen;
  loop.set_observer([&](TimePoint t, std::uint64_t) { seen.push_back(to_nanos(t)); });
  loop.schedule_at(time_from_nanos(7), [] {});
  loop.schedule_at(time_from_nanos(3), [] {});
  loop.run_for(Duration(10));
  EXPECT_EQ(seen, (std::vector<std::int64_t>{3, 7}));
  EXPECT_EQ(loop.events_run(), 2U);
}

TEST(EventLoopTest, AMillionTimersReuseTheirSlots) {
  EventLoop loop;
  constexpr int kTimers = 1'000'000;
  std::vector<EventLoop::EventId> ids;
  ids.reserve(kTimers);
  std::uint64_t fired = 0;
  for (int i = 0; i < kTimers; ++i) {
    ids.push_back(loop.schedule_after(Duration(1 + i % 1000), [&fired] { ++fired; }));
  }
  EXPECT_EQ(loop.pending(), static_cast<std::size_t>(kTimers));
  for (int i = 0; i < kTimers; i += 2) loop.cancel(ids[static_cast<std::size_t>(i)]);
  loop.run_for(Duration(2000));
  EXPECT_EQ(fired, static_cast<std::uint64_t>(kTimers / 2));
  EXPECT_EQ(loop.pending(), 0U);
  // A second wave fits in the slots the first one freed.
  const std::size_t slots = loop.slot_count();
  for (int i = 0; i < kTimers; ++i) loop.schedule_after(Duration(1), [] {});
  EXPECT_EQ(loop.slot_count(), slots);
  loop.run_for(Duration(10));
}

}  // namespace
}  // namespace herd::simnet
