#include "scenarios/units.h"

#include <gtest/gtest.h>

namespace herd::scenarios {
namespace {

TEST(UnitsTest, Sizes) {
  EXPECT_EQ(*parse_size("512MiB"), 512ULL << 20);
  EXPECT_EQ(*parse_size("4GiB"), 4ULL << 30);
  EXPECT_EQ(*parse_size("1.5KiB"), 1536U);
  EXPECT_EQ(*parse_size("10B"), 10U);
  EXPECT_EQ(*parse_size("2GB"), 2'000'000'000U);
  for (const char* bad : {"512", "MiB", "5 MiB", "5mib", "-1MiB", ""}) {
    EXPECT_FALSE(parse_size(bad).ok()) << bad;
  }
  EXPECT_NE(parse_size("512").status().message().find("needs a unit"), std::string::npos);
}

TEST(UnitsTest, Rates) {
  EXPECT_EQ(*parse_rate("10Gbps"), 10'000'000'000U);
  EXPECT_EQ(*parse_rate("100Mbps"), 100'000'000U);
  EXPECT_EQ(*parse_rate("64Kbps"), 64'000U);
  EXPECT_FALSE(parse_rate("10GB").ok());
  EXPECT_FALSE(parse_rate("fast").ok());
}

TEST(UnitsTest, EventRates) {
  EXPECT_EQ(*parse_event_rate("2/min"), seconds(30));
  EXPECT_EQ(*parse_event_rate("10/s"), milliseconds(100));
  EXPECT_EQ(*parse_event_rate("1/h"), hours(1));
  EXPECT_FALSE(parse_event_rate("2").ok());
  EXPECT_FALSE(parse_event_rate("0/min").ok());
  EXPECT_FALSE(parse_event_rate("2/day").ok());
}

}  // namespace
}  // namespace herd::scenarios
