#include "simnet/event_loop.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace herd::simnet {
namespace {

TEST(EventLoopTest, RunsInTimeThenInsertionOrder) {
  EventLoop loop;
  std::vector<std::string> order;
  loop.schedule_at(TimePoint(seconds(2)), [&] { order.push_back("b1"); });
  loop.schedule_at(TimePoint(seconds(1)), [&] { order.push_back("a"); });
  loop.schedule_at(TimePoint(seconds(2)), [&] { order.push_back("b2"); });
  loop.run_until(TimePoint(seconds(10)));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b1", "b2"}));
  EXPECT_EQ(loop.now(), TimePoint(seconds(10)));
  EXPECT_EQ(loop.events_run(), 3U);
}

TEST(EventLoopTest, CancelledEventsNeverRun) {
  EventLoop loop;
  int ran = 0;
  const auto id = loop.schedule_after(seconds(1), [&] { ++ran; });
  loop.schedule_after(seconds(2), [&] { ++ran; });
  loop.cancel(id);
  loop.cancel(id);
  EXPECT_EQ(loop.pending(), 1U);
  loop.run_for(seconds(5));
  EXPECT_EQ(ran, 1);
  // A stale id from a reused slot does not cancel the new event.
  const auto reused = loop.schedule_after(seconds(1), [&] { ++ran; });
  loop.cancel(id);
  loop.run_for(seconds(5));
  EXPECT_EQ(ran, 2);
  (void)reused;
}

TEST(EventLoopTest, StepAndRunUntilStopAtTheBoundary) {
  EventLoop loop;
  int ran = 0;
  loop.schedule_at(TimePoint(seconds(1)), [&] { ++ran; });
  loop.schedule_at(TimePoint(seconds(3)), [&] { ++ran; });
  loop.run_until(TimePoint(seconds(2)));
  EXPECT_EQ(ran, 1);
  EXPECT_TRUE(loop.step());
  EXPECT_EQ(ran, 2);
  EXPECT_FALSE(loop.step());
}

TEST(EventLoopTest, AMillionTimersStayCheapAndCancelled) {
  EventLoop loop;
  std::vector<EventLoop::EventId> ids;
  ids.reserve(1'000'000);
  int fired = 0;
  for (int i = 0; i < 1'000'000; ++i)
    ids.push_back(loop.schedule_after(milliseconds(i % 5000), [&] { ++fired; }));
  for (std::size_t i = 0; i < ids.size(); i += 2) loop.cancel(ids[i]);
  EXPECT_EQ(loop.pending(), 500'000U);
  loop.run_for(seconds(10));
  EXPECT_EQ(fired, 500'000);
  // Slots are reused: scheduling again does not grow without bound.
  for (int i = 0; i < 1'000'000; ++i) loop.schedule_after(milliseconds(1), [] {});
  loop.run_for(seconds(1));
  EXPECT_EQ(loop.pending(), 0U);
}

}  // namespace
}  // namespace herd::simnet
