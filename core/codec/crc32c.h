// CRC-32C (Castagnoli), the checksum of every frame on the wire and in the WAL.
//
// extend() continues a running checksum, so value(a + b) == extend(value(a), b). Uses the SSE4.2
// crc32 instruction when the CPU has it and a table-driven (slicing-by-8) loop otherwise; both
// give identical results. mask()/unmask() follow LevelDB's convention: a stored checksum is
// masked so that data that itself embeds checksums does not checksum to a fixed value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace herd::codec::crc32c {

std::uint32_t extend(std::uint32_t crc, const void* data, std::size_t size);

inline std::uint32_t value(std::string_view data) { return extend(0, data.data(), data.size()); }

inline constexpr std::uint32_t kMaskDelta = 0xA282EAD8U;

inline std::uint32_t mask(std::uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

inline std::uint32_t unmask(std::uint32_t masked) {
  const std::uint32_t rotated = masked - kMaskDelta;
  return (rotated >> 17) | (rotated << 15);
}

// Whether extend() runs on the hardware instruction on this machine (for benchmarks' labels).
bool hardware_accelerated();

// The portable implementation, exposed so tests can check both paths agree.
std::uint32_t extend_portable(std::uint32_t crc, const void* data, std::size_t size);

}  // namespace herd::codec::crc32c
