#include "realnode/asio_clock.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <vector>

namespace herd::realnode {
namespace {

TEST(AsioClockTest, NowNeverGoesBackwards) {
  boost::asio::io_context io;
  AsioClock clock(io);
  TimePoint previous = clock.now();
  for (int i = 0; i < 1000; ++i) {
    TimePoint t = clock.now();
    EXPECT_GE(t, previous);
    previous = t;
  }
}

TEST(AsioClockTest, TimersFireInDeadlineOrderAndNeverInline) {
  boost::asio::io_context io;
  AsioClock clock(io);
  std::vector<int> fired;
  TimePoint start = clock.now();
  clock.schedule_after(milliseconds(20), [&] { fired.push_back(2); });
  clock.schedule_after(Duration::zero(), [&] { fired.push_back(0); });
  clock.schedule_after(milliseconds(5), [&] { fired.push_back(1); });
  EXPECT_TRUE(fired.empty());
  io.run();
  EXPECT_EQ(fired, (std::vector<int>{0, 1, 2}));
  EXPECT_GE(clock.now() - start, milliseconds(20));
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(AsioClockTest, CancelBeforeExpiryAndOfUnknownIds) {
  boost::asio::io_context io;
  AsioClock clock(io);
  bool ran = false;
  TimerId later = clock.schedule_after(milliseconds(1), [&] { ran = true; });
  clock.cancel(later);
  clock.cancel(later);         // twice is a no-op
  clock.cancel(TimerId(999));  // unknown ids too
  io.run();
  EXPECT_FALSE(ran);
  EXPECT_EQ(clock.pending(), 0u);
}

TEST(AsioClockTest, CancelOfAQueuedExpiredTimerWins) {
  boost::asio::io_context io;
  AsioClock clock(io);
  bool ran = false;
  TimerId id;
  clock.schedule_after(Duration::zero(), [&] { clock.cancel(id); });
  id = clock.schedule_after(Duration::zero(), [&] { ran = true; });
  io.run();
  EXPECT_FALSE(ran);
}

TEST(AsioClockTest, DestroyedClockRunsNoCallbacks) {
  boost::asio::io_context io;
  bool ran = false;
  {
    AsioClock clock(io);
    clock.schedule_after(Duration::zero(), [&] { ran = true; });
  }
  io.run();
  EXPECT_FALSE(ran);
}

}  // namespace
}  // namespace herd::realnode
