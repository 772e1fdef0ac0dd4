#include "core/codec/record_log.h"

#include <gtest/gtest.h>

#include "core/codec/frame.h"

namespace herd::codec {
namespace {

std::string log_of(std::initializer_list<std::string_view> records) {
  std::string image;
  for (std::string_view record : records) append_frame(image, record);
  return image;
}

TEST(RecordLogTest, ReadsEveryRecord) {
  const std::string image = log_of({"a", "bb", "ccc"});
  const auto log = decode_record_log(image, 1024);
  ASSERT_TRUE(log.ok());
  EXPECT_EQ(log->records, (std::vector<std::string_view>{"a", "bb", "ccc"}));
  EXPECT_FALSE(log->torn_tail);
  EXPECT_EQ(log->valid_bytes, image.size());
}

TEST(RecordLogTest, TornTailIsDroppedNotAnError) {
  const std::string image = log_of({"first", "second", "third record"});
  for (std::size_t cut = 1; cut < 12 + 12; ++cut) {
    const std::string torn = image.substr(0, image.size() - cut);
    const auto log = decode_record_log(torn, 1024);
    ASSERT_TRUE(log.ok()) << "cut " << cut << ": " << log.status();
    EXPECT_TRUE(log->torn_tail);
    EXPECT_EQ(log->records.size(), 2U);
  }
  // A damaged last record (garbage written over it) is a torn tail too.
  std::string damaged = image;
  damaged[damaged.size() - 3] ^= 0x55;
  const auto log = decode_record_log(damaged, 1024);
  ASSERT_TRUE(log.ok());
  EXPECT_TRUE(log->torn_tail);
  EXPECT_EQ(log->records.size(), 2U);
}

TEST(RecordLogTest, CorruptionInTheMiddleIsAnError) {
  std::string image = log_of({"first", "second", "third"});
  image[12 + 5 + 12 + 2] ^= 0x01;  // inside "second"'s payload
  const auto log = decode_record_log(image, 1024);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().code(), StatusCode::kCorruption);
  EXPECT_NE(log.status().message().find("offset 17"), std::string::npos) << log.status();
}

}  // namespace
}  // namespace herd::codec
