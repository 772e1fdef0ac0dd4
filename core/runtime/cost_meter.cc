#include "core/runtime/cost_meter.h"

namespace herd {

Component component_of(Work work) {
  switch (work) {
    case Work::kRaftMessage:
    case Work::kRaftEntry:
    case Work::kRaftTick:
      return Component::kRaft;
    case Work::kStoreAction:
    case Work::kStoreRead:
    case Work::kSnapshotByte:
      return Component::kStore;
    case Work::kSchedulerTask:
    case Work::kSchedulerNode:
      return Component::kScheduler;
    case Work::kDispatcherHeartbeat:
    case Work::kDispatcherStatusUpdate:
    case Work::kDispatcherAssignment:
      return Component::kDispatcher;
    case Work::kAllocatorTask:
      return Component::kAllocator;
    case Work::kOrchestratorTask:
      return Component::kOrchestrator;
    case Work::kControlApiRequest:
      return Component::kControlApi;
    case Work::kCaSignature:
      return Component::kCa;
    case Work::kAgentTask:
      return Component::kAgent;
    case Work::kCodecByte:
      return Component::kCodec;
    case Work::kTransportMessage:
    case Work::kTransportByte:
      return Component::kTransport;
  }
  return Component::kTransport;
}

std::string_view component_name(Component component) {
  switch (component) {
    case Component::kRaft:
      return "raft";
    case Component::kStore:
      return "store";
    case Component::kScheduler:
      return "scheduler";
    case Component::kDispatcher:
      return "dispatcher";
    case Component::kAllocator:
      return "allocator";
    case Component::kOrchestrator:
      return "orchestrator";
    case Component::kControlApi:
      return "control_api";
    case Component::kCa:
      return "ca";
    case Component::kAgent:
      return "agent";
    case Component::kCodec:
      return "codec";
    case Component::kTransport:
      return "transport";
  }
  return "unknown";
}

std::string_view work_name(Work work) {
  switch (work) {
    case Work::kRaftMessage:
      return "raft_message";
    case Work::kRaftEntry:
      return "raft_entry";
    case Work::kRaftTick:
      return "raft_tick";
    case Work::kStoreAction:
      return "store_action";
    case Work::kStoreRead:
      return "store_read";
    case Work::kSnapshotByte:
      return "snapshot_byte";
    case Work::kSchedulerTask:
      return "scheduler_task";
    case Work::kSchedulerNode:
      return "scheduler_node";
    case Work::kDispatcherHeartbeat:
      return "dispatcher_heartbeat";
    case Work::kDispatcherStatusUpdate:
      return "dispatcher_status_update";
    case Work::kDispatcherAssignment:
      return "dispatcher_assignment";
    case Work::kAllocatorTask:
      return "allocator_task";
    case Work::kOrchestratorTask:
      return "orchestrator_task";
    case Work::kControlApiRequest:
      return "control_api_request";
    case Work::kCaSignature:
      return "ca_signature";
    case Work::kAgentTask:
      return "agent_task";
    case Work::kCodecByte:
      return "codec_byte";
    case Work::kTransportMessage:
      return "transport_message";
    case Work::kTransportByte:
      return "transport_byte";
  }
  return "unknown";
}

}  // namespace herd
