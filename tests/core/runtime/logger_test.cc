#include "core/runtime/logger.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "core/runtime/manual_clock.h"

namespace herd {
namespace {

class CollectingSink final : public LogSink {
 public:
  void write(const LogLine& line) override { lines.push_back(format_log_line(line)); }
  std::vector<std::string> lines;
};

TEST(LoggerTest, StampsLinesWithTheNodeClock) {
  ManualClock clock(TimePoint(milliseconds(12'500)));
  CollectingSink sink;
  Logger logger(clock, "mg0", &sink);
  logger.info("raft.elected", {{"term", Term(3)}, {"votes", 2}});
  ASSERT_EQ(sink.lines.size(), 1U);
  EXPECT_EQ(sink.lines[0], "t=12.500000000s node=mg0 level=info event=raft.elected term=3 votes=2");
}

TEST(LoggerTest, QuotesValuesThatNeedIt) {
  ManualClock clock;
  CollectingSink sink;
  Logger logger(clock, "w1", &sink);
  logger.warning("agent.task_failed", {{"reason", "exit code 1"},
                                       {"empty", ""},
                                       {"quote", "a\"b"},
                                       {"ok", true},
                                       {"delay", milliseconds(250)}});
  EXPECT_EQ(sink.lines[0],
            "t=0.000000000s node=w1 level=warning event=agent.task_failed reason=\"exit code 1\" "
            "empty=\"\" quote=\"a\\\"b\" ok=true delay=250ms");
}

TEST(LoggerTest, DropsLinesBelowTheMinimumLevel) {
  ManualClock clock;
  CollectingSink sink;
  Logger logger(clock, "mg0", &sink, LogLevel::kWarning);
  logger.debug("x");
  logger.info("y");
  logger.error("z");
  ASSERT_EQ(sink.lines.size(), 1U);
  EXPECT_NE(sink.lines[0].find("event=z"), std::string::npos);
  EXPECT_FALSE(logger.enabled(LogLevel::kInfo));
  Logger silent(clock, "mg1", nullptr);
  EXPECT_FALSE(silent.enabled(LogLevel::kError));
  silent.error("nowhere");  // no sink: nothing happens
}

TEST(LoggerTest, StreamSinkWritesOneLinePerCall) {
  ManualClock clock;
  std::ostringstream out;
  StreamLogSink sink(out);
  Logger logger(clock, "mg0", &sink);
  logger.info("a");
  logger.info("b");
  EXPECT_EQ(out.str(),
            "t=0.000000000s node=mg0 level=info event=a\n"
            "t=0.000000000s node=mg0 level=info event=b\n");
}

TEST(LoggerTest, ParsesLevelNames) {
  EXPECT_EQ(*parse_log_level("warn"), LogLevel::kWarning);
  EXPECT_EQ(*parse_log_level("debug"), LogLevel::kDebug);
  const Result<LogLevel> bad = parse_log_level("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'loud'"), std::string::npos);
}

}  // namespace
}  // namespace herd
