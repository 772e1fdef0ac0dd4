// Env: everything a node takes from the world, as one bundle of references to the seam.
//
// A node (core/node) is built from an Env and never reaches past it: the same node code runs in
// simnet (simulated clock, network, disk, task runtime) and in realnode (steady clock, TCP, files,
// processes). The Env's owner (a simnet host or the realnode process) owns every object it points
// to and keeps them alive longer than the node. `executor` is null on a node that runs no tasks.
#pragma once

#include "core/runtime/clock.h"
#include "core/runtime/cost_meter.h"
#include "core/runtime/executor.h"
#include "core/runtime/logger.h"
#include "core/runtime/rng.h"
#include "core/runtime/storage.h"
#include "core/runtime/transport.h"

namespace herd {

struct Env {
  Clock& clock;
  Transport& transport;
  Storage& storage;
  Executor* executor;
  Rng& rng;
  CostMeter& cost;
  Logger& logger;
};

}  // namespace herd
