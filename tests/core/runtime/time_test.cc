#include "core/runtime/time.h"

#include <gtest/gtest.h>

namespace herd {
namespace {

TEST(DurationTest, ParsesEveryUnit) {
  EXPECT_EQ(*parse_duration("250ns"), nanoseconds(250));
  EXPECT_EQ(*parse_duration("200us"), microseconds(200));
  EXPECT_EQ(*parse_duration("200\xC2\xB5s"), microseconds(200));
  EXPECT_EQ(*parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(*parse_duration("30s"), seconds(30));
  EXPECT_EQ(*parse_duration("2m"), minutes(2));
  EXPECT_EQ(*parse_duration("1h"), hours(1));
}

TEST(DurationTest, ParsesCompoundAndFractional) {
  EXPECT_EQ(*parse_duration("1h30m"), minutes(90));
  EXPECT_EQ(*parse_duration("1m30s500ms"), milliseconds(90'500));
  EXPECT_EQ(*parse_duration("1.5s"), milliseconds(1500));
  EXPECT_EQ(*parse_duration("0.25ms"), microseconds(250));
  EXPECT_EQ(*parse_duration("-3s"), seconds(-3));
  EXPECT_EQ(*parse_duration("0"), Duration(0));
}

TEST(DurationTest, RejectsMalformedInputWithAClearMessage) {
  for (const char* bad : {"", "10", "s", "5 s", "5x", "1.s2", "--1s", ".s", "3d"}) {
    const Result<Duration> parsed = parse_duration(bad);
    EXPECT_FALSE(parsed.ok()) << "accepted '" << bad << "'";
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    }
  }
  EXPECT_NE(parse_duration("10").status().message().find("needs a unit"), std::string::npos);
}

TEST(DurationTest, RejectsOverflow) {
  EXPECT_FALSE(parse_duration("100000000000h").ok());
  EXPECT_FALSE(parse_duration("99999999999999999999s").ok());
}

TEST(DurationTest, FormatRoundTrips) {
  for (const Duration d : {Duration(0), Duration(1), Duration(milliseconds(250)),
                           Duration(minutes(90)), Duration(milliseconds(61'001)),
                           Duration(seconds(-5)), Duration(nanoseconds(3'600'000'000'123))}) {
    const std::string text = format_duration(d);
    const Result<Duration> parsed = parse_duration(text);
    ASSERT_TRUE(parsed.ok()) << text;
    EXPECT_EQ(*parsed, d) << text;
  }
  EXPECT_EQ(format_duration(minutes(90)), "1h30m");
  EXPECT_EQ(format_duration(milliseconds(250)), "250ms");
}

TEST(TimePointTest, ArithmeticIsInNanoseconds) {
  const TimePoint start = time_from_nanos(1'000);
  const TimePoint later = start + milliseconds(2);
  EXPECT_EQ(to_nanos(later), 2'001'000);
  EXPECT_EQ(later - start, milliseconds(2));
  EXPECT_LT(start, later);
}

}  // namespace
}  // namespace herd
