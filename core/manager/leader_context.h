// LeaderContext: what the leader-only components (orchestrators, allocator, scheduler,
// dispatcher, reaper) share. Built by the manager when it becomes leader and torn down, with the
// components, when it stops being leader; every reference outlives the components.
#pragma once

#include "core/manager/membership.h"
#include "core/manager/proposer.h"
#include "core/runtime/clock.h"
#include "core/runtime/cost_meter.h"
#include "core/runtime/logger.h"
#include "core/runtime/rng.h"
#include "core/store/store.h"

namespace herd::manager {

struct LeaderContext {
  store::Store& store;
  Proposer& proposer;
  Clock& clock;
  Rng& rng;  // object ids and jitter; a stream forked for the leader's components
  CostMeter& cost;
  Logger& logger;
  RaftMembership* membership = nullptr;  // null where there is no Raft group (unit tests)
};

}  // namespace herd::manager
