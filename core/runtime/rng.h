// Rng: herd's one source of randomness; a seeded, portable 64-bit generator (xoshiro256**).
//
// Same seed, same stream, on every machine and standard library: it uses no std::*_distribution
// (their output differs between implementations), only integer arithmetic and the exactly
// specified helpers below. fork(name) derives an independent stream from this generator's seed
// and a name, without consuming any of this stream's draws, so a component can add draws without
// shifting what every other component sees. simnet seeds the root from the scenario seed;
// realnode from the operating system. Deterministic; not for cryptography.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/runtime/time.h"

namespace herd {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);

  std::uint64_t seed() const { return seed_; }

  std::uint64_t next_u64();

  // Uniform in [0, bound); bound must be positive. Unbiased (Lemire's method with rejection).
  std::uint64_t below(std::uint64_t bound);

  // Uniform in [low, high], inclusive; low <= high.
  std::int64_t between(std::int64_t low, std::int64_t high);

  // True with probability `p` (clamped to [0, 1]), decided on 53 bits.
  bool chance(double p);

  // Uniform in [low, high], inclusive, at nanosecond resolution.
  Duration duration_between(Duration low, Duration high);

  // `base` plus a uniform offset in [-spread, +spread]; never negative.
  Duration jitter(Duration base, Duration spread);

  // An independent stream named `name`, a pure function of (seed, name).
  Rng fork(std::string_view name) const;

 private:
  std::uint64_t seed_;
  std::array<std::uint64_t, 4> state_;
};

// A stable 64-bit hash of bytes (FNV-1a followed by a SplitMix64 finalizer). Same value on every
// machine; used to name streams and to fold traces.
std::uint64_t stable_hash(std::string_view bytes, std::uint64_t seed = 0);

}  // namespace herd
