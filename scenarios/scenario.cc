#include "scenarios/scenario.h"

namespace herd::scenarios {

int Topology::manager_count() const {
  int count = 0;
  for (const DatacenterSpec& dc : datacenters) count += dc.managers;
  return count;
}

int Topology::worker_count() const {
  int count = 0;
  for (const DatacenterSpec& dc : datacenters) count += dc.workers;
  return count;
}

std::string Scenario::manager_name(int index) const {
  int base = 0;
  for (const DatacenterSpec& dc : topology.datacenters) {
    if (index < base + dc.managers) {
      const int local = index - base;
      if (local < static_cast<int>(dc.manager_names.size())) return dc.manager_names[local];
      break;
    }
    base += dc.managers;
  }
  return "mg" + std::to_string(index);
}

std::string Scenario::worker_name(int index) const {
  int base = 0;
  for (const DatacenterSpec& dc : topology.datacenters) {
    if (index < base + dc.workers) {
      const int local = index - base;
      if (local < static_cast<int>(dc.worker_names.size())) return dc.worker_names[local];
      break;
    }
    base += dc.workers;
  }
  return "w" + std::to_string(index);
}

std::string_view action_name(ActionKind kind) {
  switch (kind) {
    case ActionKind::kServiceCreate:
      return "service.create";
    case ActionKind::kServiceScale:
      return "service.scale";
    case ActionKind::kServiceUpdate:
      return "service.update";
    case ActionKind::kServiceRollback:
      return "service.rollback";
    case ActionKind::kServiceRm:
      return "service.rm";
    case ActionKind::kNodeDrain:
      return "node.drain";
    case ActionKind::kNodePause:
      return "node.pause";
    case ActionKind::kNodeActivate:
      return "node.activate";
    case ActionKind::kNodePromote:
      return "node.promote";
    case ActionKind::kNodeDemote:
      return "node.demote";
    case ActionKind::kNodeLabel:
      return "node.label";
    case ActionKind::kNodeRm:
      return "node.rm";
    case ActionKind::kNodeJoin:
      return "node.join";
    case ActionKind::kNodeLeave:
      return "node.leave";
    case ActionKind::kTokenRotate:
      return "token.rotate";
    case ActionKind::kCrash:
      return "crash";
    case ActionKind::kRestart:
      return "restart";
    case ActionKind::kPowerCycle:
      return "power_cycle";
    case ActionKind::kPartition:
      return "partition";
    case ActionKind::kHeal:
      return "heal";
    case ActionKind::kClog:
      return "clog";
    case ActionKind::kLinkSlow:
      return "link.slow";
    case ActionKind::kLinkLoss:
      return "link.loss";
    case ActionKind::kDiskFailSync:
      return "disk.fail_sync";
    case ActionKind::kDiskCorrupt:
      return "disk.corrupt";
    case ActionKind::kDiskSlow:
      return "disk.slow";
    case ActionKind::kClockSkew:
      return "clock.skew";
    case ActionKind::kCpuSlow:
      return "cpu.slow";
  }
  return "unknown";
}

std::string_view expectation_name(ExpectationKind kind) {
  switch (kind) {
    case ExpectationKind::kServiceRunning:
      return "service.running";
    case ExpectationKind::kLeaderElected:
      return "leader.elected";
    case ExpectationKind::kNodeStatus:
      return "node.status";
    case ExpectationKind::kTasksPending:
      return "tasks.pending";
    case ExpectationKind::kNoTaskOn:
      return "no_task_on";
    case ExpectationKind::kConverged:
      return "converged";
  }
  return "unknown";
}

}  // namespace herd::scenarios
