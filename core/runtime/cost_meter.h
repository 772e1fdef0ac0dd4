// CostMeter: where core code says what CPU work it just did, so a runtime can account for it.
//
// Handlers call charge(work, count) for the work they did ("applied 12 store actions"). Each kind
// of Work belongs to one Component. simnet turns charges into simulated busy time on the host's
// cores through its cost table (docs/simnet.md), so an overloaded manager falls behind
// deterministically and a run reports CPU per component; realnode counts them for /metrics.
// Charging never changes what core code does next.
#pragma once

#include <cstdint>
#include <string_view>

namespace herd {

enum class Component : std::uint8_t {
  kRaft,
  kStore,
  kScheduler,
  kDispatcher,
  kAllocator,
  kOrchestrator,
  kControlApi,
  kCa,
  kAgent,
  kCodec,
  kTransport,
};
inline constexpr int kComponentCount = 11;

enum class Work : std::uint8_t {
  kRaftMessage,             // one Raft message stepped
  kRaftEntry,               // one entry appended, replicated or applied by Raft
  kRaftTick,                // one tick
  kStoreAction,             // one store action applied (create/update/delete of an object)
  kStoreRead,               // one object read or one index lookup
  kSnapshotByte,            // one byte of snapshot built or restored
  kSchedulerTask,           // one task placed (or found unplaceable)
  kSchedulerNode,           // one node examined or re-ranked
  kDispatcherHeartbeat,     // one heartbeat handled
  kDispatcherStatusUpdate,  // one task status update handled
  kDispatcherAssignment,    // one assignment change sent
  kAllocatorTask,           // one task's networks and ports allocated
  kOrchestratorTask,        // one task reconciled
  kControlApiRequest,       // one control API request handled
  kCaSignature,             // one certificate signed or verified
  kAgentTask,               // one task transition handled by an agent
  kCodecByte,               // one byte encoded or decoded
  kTransportMessage,        // one message sent or received (charged by the transport)
  kTransportByte,           // one byte sent or received (charged by the transport)
};
inline constexpr int kWorkCount = 19;

Component component_of(Work work);
std::string_view component_name(Component component);
std::string_view work_name(Work work);

class CostMeter {
 public:
  virtual ~CostMeter() = default;
  virtual void charge(Work work, std::uint64_t count) = 0;
};

// Discards every charge; for tests and tools that do not account CPU.
class NullCostMeter final : public CostMeter {
 public:
  void charge(Work, std::uint64_t) override {}
};

}  // namespace herd
