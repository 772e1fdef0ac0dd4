// Identifiers and counters shared by every module. Value 0 means "none" for each of them: no
// node, no term yet, the empty log's index.
#pragma once

#include <cstdint>

#include "core/runtime/strong_int.h"

namespace herd {

// A node of the cluster (manager or worker), and its address on every Transport.
using NodeId = StrongInt<struct NodeIdTag>;
// A Raft term.
using Term = StrongInt<struct TermTag>;
// A position in the Raft log; the first entry has index 1.
using LogIndex = StrongInt<struct LogIndexTag>;
// A timer handed out by Clock::schedule_after, for cancelling it.
using TimerId = StrongInt<struct TimerIdTag>;

inline constexpr NodeId kNoNode{0};

}  // namespace herd
