// CostTable: how much simulated CPU time each kind of work costs on a simulated core.
//
// Core code reports work through CostMeter::charge(work, count); a host turns each charge into
// count × ns_per_unit[work] nanoseconds of busy time on one of its cores. The defaults below are
// rough figures for a 2016-era server core running a Go or C++ control plane (documented with
// their reasoning in docs/simnet.md); scenarios may scale them. Deterministic: integers only.
#pragma once

#include <array>
#include <cstdint>

#include "core/runtime/cost_meter.h"

namespace herd::simnet {

struct CostTable {
  std::array<std::int64_t, kWorkCount> ns_per_unit{};

  static CostTable defaults();
  std::int64_t cost(Work work, std::uint64_t count) const {
    return ns_per_unit[static_cast<std::size_t>(work)] * static_cast<std::int64_t>(count);
  }
};

}  // namespace herd::simnet
