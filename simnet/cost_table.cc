#include "simnet/cost_table.h"

namespace herd::simnet {

CostTable CostTable::defaults() {
  CostTable table;
  const auto set = [&table](Work work, std::int64_t ns) {
    table.ns_per_unit[static_cast<std::size_t>(work)] = ns;
  };
  set(Work::kRaftMessage, 3'000);
  set(Work::kRaftEntry, 1'000);
  set(Work::kRaftTick, 500);
  set(Work::kStoreAction, 4'000);
  set(Work::kStoreRead, 200);
  set(Work::kSnapshotByte, 5);
  set(Work::kSchedulerTask, 2'000);
  set(Work::kSchedulerNode, 300);
  set(Work::kDispatcherHeartbeat, 25'000);
  set(Work::kDispatcherStatusUpdate, 8'000);
  set(Work::kDispatcherAssignment, 6'000);
  set(Work::kAllocatorTask, 3'000);
  set(Work::kOrchestratorTask, 5'000);
  set(Work::kControlApiRequest, 50'000);
  set(Work::kCaSignature, 200'000);
  set(Work::kAgentTask, 20'000);
  set(Work::kCodecByte, 2);
  set(Work::kTransportMessage, 10'000);
  set(Work::kTransportByte, 1);
  return table;
}

}  // namespace herd::simnet
