#include "core/codec/frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/runtime/rng.h"

namespace herd::codec {
namespace {

std::string random_bytes(Rng& rng, std::size_t size) {
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng.next_u64());
  return bytes;
}

TEST(FrameTest, RoundTrip) {
  for (const std::string& payload :
       {std::string(), std::string("x"), std::string(1000, 'a'), std::string("\0\1\2\3", 4)}) {
    const std::string frame = encode_frame(payload);
    ASSERT_EQ(frame.size(), kFrameHeaderSize + payload.size());
    const auto decoded = decode_frame(frame);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    ASSERT_TRUE(decoded->has_value());
    EXPECT_EQ((*decoded)->payload, payload);
    EXPECT_EQ((*decoded)->size, frame.size());
  }
}

TEST(FrameTest, ConsecutiveFramesDecodeInOrder) {
  std::string stream;
  append_frame(stream, "first");
  append_frame(stream, "");
  append_frame(stream, "third");
  std::vector<std::string> payloads;
  std::string_view rest = stream;
  while (!rest.empty()) {
    const auto decoded = decode_frame(rest);
    ASSERT_TRUE(decoded.ok() && decoded->has_value());
    payloads.emplace_back((*decoded)->payload);
    rest.remove_prefix((*decoded)->size);
  }
  EXPECT_EQ(payloads, (std::vector<std::string>{"first", "", "third"}));
}

TEST(FrameTest, EveryProperPrefixIsIncompleteNotAnError) {
  const std::string frame = encode_frame("a payload of some length");
  for (std::size_t size = 0; size < frame.size(); ++size) {
    const auto decoded = decode_frame(std::string_view(frame).substr(0, size));
    ASSERT_TRUE(decoded.ok()) << "prefix " << size << ": " << decoded.status();
    EXPECT_FALSE(decoded->has_value()) << "prefix " << size;
  }
}

TEST(FrameTest, AnySingleByteCorruptionIsDetected) {
  const std::string frame = encode_frame("payload that must not be misread");
  for (std::size_t pos = 0; pos < frame.size(); ++pos) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = frame;
      damaged[pos] = static_cast<char>(damaged[pos] ^ (1 << bit));
      const auto decoded = decode_frame(damaged);
      ASSERT_FALSE(decoded.ok()) << "flip at byte " << pos << " bit " << bit << " went unnoticed";
      EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
    }
  }
}

TEST(FrameTest, CorruptLengthIsCorruptionNotTruncation) {
  std::string frame = encode_frame("abc");
  frame[2] = '\x7F';  // length now claims megabytes that never arrive
  const auto decoded = decode_frame(frame);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kCorruption);
  EXPECT_NE(decoded.status().message().find("header checksum"), std::string::npos);
}

TEST(FrameTest, OversizeIsRejectedBeforeThePayloadArrives) {
  const std::string frame = encode_frame(std::string(5000, 'z'));
  // Only the header: the cap is checked without waiting for (or allocating) the payload.
  const auto decoded = decode_frame(std::string_view(frame).substr(0, kFrameHeaderSize), 4096);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(decoded.status().message().find("5000 bytes exceeds the cap of 4096"),
            std::string::npos);
  EXPECT_TRUE(decode_frame(frame, 5000).ok());
}

// Random garbage never crashes the decoder, never reads past the input, and anything it accepts
// is exactly a well-formed frame.
TEST(FrameTest, FuzzRandomBytes) {
  Rng rng(2024);
  int accepted = 0;
  for (int i = 0; i < 100'000; ++i) {
    std::string input = random_bytes(rng, rng.below(64));
    if (rng.chance(0.1)) input = encode_frame(random_bytes(rng, rng.below(32))) + input;
    const auto decoded = decode_frame(input, 1024);
    if (!decoded.ok() || !decoded->has_value()) continue;
    ++accepted;
    ASSERT_LE((*decoded)->size, input.size());
    EXPECT_EQ(encode_frame((*decoded)->payload), input.substr(0, (*decoded)->size));
  }
  EXPECT_GT(accepted, 5'000) << "the valid frames mixed into the input should decode";
}

TEST(FrameTest, FuzzMutatedFrames) {
  Rng rng(77);
  for (int i = 0; i < 100'000; ++i) {
    const std::string payload = random_bytes(rng, 1 + rng.below(48));
    std::string frame = encode_frame(payload);
    const int flips = 1 + static_cast<int>(rng.below(3));
    for (int f = 0; f < flips; ++f) {
      frame[rng.below(frame.size())] ^= static_cast<char>(1 + rng.below(255));
    }
    const auto decoded = decode_frame(frame, 1 << 20);
    if (decoded.ok() && decoded->has_value()) {
      // Only possible when the flips cancelled out.
      ASSERT_EQ((*decoded)->payload, payload);
    }
  }
}

TEST(FrameReaderTest, ReassemblesFramesFedByteByByte) {
  std::string stream;
  append_frame(stream, "one");
  append_frame(stream, std::string(300, 'b'));
  append_frame(stream, "three");
  FrameReader reader;
  std::vector<std::string> got;
  for (char c : stream) {
    reader.feed(std::string_view(&c, 1));
    for (;;) {
      auto next = reader.next();
      ASSERT_TRUE(next.ok()) << next.status();
      if (!next->has_value()) break;
      got.push_back(**next);
    }
  }
  EXPECT_EQ(got, (std::vector<std::string>{"one", std::string(300, 'b'), "three"}));
  EXPECT_EQ(reader.buffered(), 0U);
}

TEST(FrameReaderTest, ReportsGarbageAsAnError) {
  FrameReader reader(1024);
  reader.feed("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  const auto next = reader.next();
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace herd::codec
