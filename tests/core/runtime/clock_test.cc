#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/runtime/manual_clock.h"

namespace herd {
namespace {

TEST(ManualClockTest, FiresInDueOrderThenSchedulingOrder) {
  ManualClock clock;
  std::vector<std::string> fired;
  clock.schedule_after(seconds(2), [&] { fired.push_back("b"); });
  clock.schedule_after(seconds(1), [&] { fired.push_back("a"); });
  clock.schedule_after(seconds(2), [&] { fired.push_back("c"); });
  EXPECT_EQ(clock.advance(seconds(1)), 1);
  EXPECT_EQ(fired, (std::vector<std::string>{"a"}));
  EXPECT_EQ(clock.advance(seconds(5)), 2);
  EXPECT_EQ(fired, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(clock.now(), TimePoint(seconds(6)));
}

TEST(ManualClockTest, NowIsTheDueTimeInsideACallback) {
  ManualClock clock;
  TimePoint seen;
  clock.schedule_after(milliseconds(1500), [&] { seen = clock.now(); });
  clock.advance(seconds(10));
  EXPECT_EQ(seen, TimePoint(milliseconds(1500)));
}

TEST(ManualClockTest, CancelledTimersNeverFire) {
  ManualClock clock;
  bool fired = false;
  const TimerId id = clock.schedule_after(seconds(1), [&] { fired = true; });
  clock.cancel(id);
  clock.cancel(id);           // twice is fine
  clock.cancel(TimerId(99));  // unknown is fine
  EXPECT_EQ(clock.advance(seconds(2)), 0);
  EXPECT_FALSE(fired);
  EXPECT_EQ(clock.pending(), 0U);
}

TEST(ManualClockTest, CallbacksMayScheduleWithinTheSameAdvance) {
  ManualClock clock;
  int ticks = 0;
  std::function<void()> tick = [&] {
    ++ticks;
    clock.schedule_after(seconds(1), tick);
  };
  clock.schedule_after(seconds(1), tick);
  clock.advance(seconds(10));
  EXPECT_EQ(ticks, 10);
}

TEST(ScopedTimerTest, RearmReplacesAndDestructionCancels) {
  ManualClock clock;
  int first = 0;
  int second = 0;
  {
    ScopedTimer timer(clock);
    timer.arm(seconds(1), [&] { ++first; });
    timer.arm(seconds(2), [&] { ++second; });
    EXPECT_TRUE(timer.armed());
    clock.advance(seconds(3));
    EXPECT_EQ(first, 0);
    EXPECT_EQ(second, 1);
    EXPECT_FALSE(timer.armed());
    timer.arm(seconds(1), [&] { ++first; });
  }
  clock.advance(seconds(5));
  EXPECT_EQ(first, 0) << "a destroyed ScopedTimer must not fire";
}

}  // namespace
}  // namespace herd
