// Object ids: 25 lowercase base-36 characters from 128 random bits, like SwarmKit's. Drawn from
// the manager's seeded Rng, so simulated runs create the same ids for the same seed.
#pragma once

#include <string>

#include "core/runtime/rng.h"

namespace herd::store {

inline constexpr std::size_t kObjectIdLength = 25;

std::string new_object_id(Rng& rng);

// True for strings of the shape new_object_id() produces.
bool is_object_id(std::string_view text);

}  // namespace herd::store
