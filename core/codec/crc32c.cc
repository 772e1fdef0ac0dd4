#include "core/codec/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace herd::codec::crc32c {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78U;  // reflected Castagnoli polynomial

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables tables{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1U) ? kPolynomial : 0U);
    tables[0][i] = crc;
  }
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (std::size_t t = 1; t < 8; ++t) {
      tables[t][i] = (tables[t - 1][i] >> 8) ^ tables[0][tables[t - 1][i] & 0xFFU];
    }
  }
  return tables;
}

constexpr Tables kTables = make_tables();

std::uint64_t load_le64(const unsigned char* p) {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof(word));
  return word;  // x86-64 and every other supported target are little-endian
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) std::uint32_t extend_sse42(std::uint32_t crc, const void* data,
                                                             std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t state = ~crc;
  while (size >= 8) {
    state = _mm_crc32_u64(state, load_le64(p));
    p += 8;
    size -= 8;
  }
  auto state32 = static_cast<std::uint32_t>(state);
  while (size > 0) {
    state32 = _mm_crc32_u8(state32, *p++);
    --size;
  }
  return ~state32;
}

bool cpu_has_sse42() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

std::uint32_t extend_portable(std::uint32_t crc, const void* data, std::size_t size) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint32_t state = ~crc;
  while (size >= 8) {
    const std::uint64_t word = load_le64(p) ^ state;
    state = kTables[7][word & 0xFF] ^ kTables[6][(word >> 8) & 0xFF] ^
            kTables[5][(word >> 16) & 0xFF] ^ kTables[4][(word >> 24) & 0xFF] ^
            kTables[3][(word >> 32) & 0xFF] ^ kTables[2][(word >> 40) & 0xFF] ^
            kTables[1][(word >> 48) & 0xFF] ^ kTables[0][word >> 56];
    p += 8;
    size -= 8;
  }
  while (size > 0) {
    state = (state >> 8) ^ kTables[0][(state ^ *p++) & 0xFF];
    --size;
  }
  return ~state;
}

std::uint32_t extend(std::uint32_t crc, const void* data, std::size_t size) {
#if defined(__x86_64__)
  if (cpu_has_sse42()) return extend_sse42(crc, data, size);
#endif
  return extend_portable(crc, data, size);
}

bool hardware_accelerated() {
#if defined(__x86_64__)
  return cpu_has_sse42();
#else
  return false;
#endif
}

}  // namespace herd::codec::crc32c
