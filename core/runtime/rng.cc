#include "core/runtime/rng.h"

#include "core/runtime/check.h"

namespace herd {
namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

__extension__ typedef unsigned __int128 Uint128;  // GCC/Clang builtin, for Lemire's multiply

}  // namespace

std::uint64_t stable_hash(std::string_view bytes, std::uint64_t seed) {
  std::uint64_t hash = 0xCBF29CE484222325ULL ^ seed;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001B3ULL;
  }
  return splitmix64(hash);
}

Rng::Rng(std::uint64_t seed) : seed_(seed) {
  std::uint64_t mix = seed;
  for (auto& word : state_) word = splitmix64(mix);
}

std::uint64_t Rng::next_u64() {
  const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotl(state_[3], 45);
  return result;
}

std::uint64_t Rng::below(std::uint64_t bound) {
  HERD_CHECK(bound > 0) << "Rng::below(0)";
  Uint128 product = static_cast<Uint128>(next_u64()) * bound;
  auto low = static_cast<std::uint64_t>(product);
  if (low < bound) {
    const std::uint64_t threshold = -bound % bound;
    while (low < threshold) {
      product = static_cast<Uint128>(next_u64()) * bound;
      low = static_cast<std::uint64_t>(product);
    }
  }
  return static_cast<std::uint64_t>(product >> 64);
}

std::int64_t Rng::between(std::int64_t low, std::int64_t high) {
  HERD_CHECK(low <= high) << "Rng::between(" << low << ", " << high << ")";
  const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low);
  if (span == UINT64_MAX) return static_cast<std::int64_t>(next_u64());
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + below(span + 1));
}

bool Rng::chance(double p) {
  if (!(p > 0.0)) return false;  // also false for NaN
  if (p >= 1.0) return true;
  constexpr double kTwoTo53 = 9007199254740992.0;
  // p * 2^53 is exact in IEEE double arithmetic for p in (0, 1), so this is portable.
  const auto threshold = static_cast<std::uint64_t>(p * kTwoTo53);
  return (next_u64() >> 11) < threshold;
}

Duration Rng::duration_between(Duration low, Duration high) {
  return Duration(between(low.count(), high.count()));
}

Duration Rng::jitter(Duration base, Duration spread) {
  if (spread <= Duration::zero()) return base;
  const Duration value = base + Duration(between(-spread.count(), spread.count()));
  return value < Duration::zero() ? Duration::zero() : value;
}

Rng Rng::fork(std::string_view name) const { return Rng(stable_hash(name, seed_)); }

}  // namespace herd
