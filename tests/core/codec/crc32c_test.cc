#include "core/codec/crc32c.h"

#include <gtest/gtest.h>

#include <string>

#include "core/runtime/rng.h"

namespace herd::codec {
namespace {

// Published CRC-32C check values (RFC 3720 appendix B.4 and the iSCSI test vectors).
TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(crc32c::value("123456789"), 0xE3069283U);
  EXPECT_EQ(crc32c::value(std::string(32, '\0')), 0x8A9136AAU);
  EXPECT_EQ(crc32c::value(std::string(32, '\xFF')), 0x62A8AB43U);
  std::string ascending;
  std::string descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c::value(ascending), 0x46DD794EU);
  EXPECT_EQ(crc32c::value(descending), 0x113FDB5CU);
  EXPECT_EQ(crc32c::value(""), 0U);
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  const std::string data = "hello, herd: a container orchestrator over a simulated network";
  for (std::size_t split = 0; split <= data.size(); ++split) {
    const std::uint32_t first = crc32c::value(std::string_view(data).substr(0, split));
    const std::string_view rest = std::string_view(data).substr(split);
    EXPECT_EQ(crc32c::extend(first, rest.data(), rest.size()), crc32c::value(data));
  }
}

TEST(Crc32cTest, HardwareAndPortableAgree) {
  Rng rng(99);
  for (int round = 0; round < 200; ++round) {
    std::string data(rng.below(300), '\0');
    for (char& c : data) c = static_cast<char>(rng.next_u64());
    // Start at odd offsets too, so unaligned loads are covered.
    const std::size_t offset = data.empty() ? 0 : rng.below(data.size());
    const std::string_view view = std::string_view(data).substr(offset);
    EXPECT_EQ(crc32c::extend(7, view.data(), view.size()),
              crc32c::extend_portable(7, view.data(), view.size()));
  }
}

TEST(Crc32cTest, MaskRoundTripsAndChangesTheValue) {
  const std::uint32_t crc = crc32c::value("foo");
  EXPECT_NE(crc32c::mask(crc), crc);
  EXPECT_NE(crc32c::mask(crc32c::mask(crc)), crc);
  EXPECT_EQ(crc32c::unmask(crc32c::mask(crc)), crc);
  EXPECT_EQ(crc32c::unmask(crc32c::unmask(crc32c::mask(crc32c::mask(crc)))), crc);
}

}  // namespace
}  // namespace herd::codec
