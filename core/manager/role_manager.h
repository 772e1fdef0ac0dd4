// RoleManager: turns a node's desired role into Raft membership (SwarmKit's role manager).
//
// Promotion: the node's transport id joins the Raft group as a voter; once that configuration
// change has applied, the node's role becomes manager. Demotion: the node leaves the Raft group,
// then its role becomes worker; demoting the leader itself first hands leadership to another
// reachable voter, and the new leader finishes the job. A demotion that would leave the rest
// without a reachable quorum waits. Failed or refused changes are retried every 5 s; one change
// at a time, since Raft allows no more. Leader-only; deterministic.
#pragma once

#include <set>
#include <string>

#include "core/manager/leader_context.h"

namespace herd::manager {

class RoleManager final : public store::Watcher {
 public:
  static constexpr Duration kRetryInterval = seconds(5);

  explicit RoleManager(LeaderContext& context);
  ~RoleManager() override;
  RoleManager(const RoleManager&) = delete;
  RoleManager& operator=(const RoleManager&) = delete;

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t version) override;
  void on_store_reset() override { reconcile(); }

  void reconcile();

 private:
  void promote(const proto::Node& node);
  void demote(const proto::Node& node);
  void finish(const std::string& node_id, proto::NodeRole role, NodeId raft_id);
  void retry_later();

  LeaderContext& context_;
  bool in_flight_ = false;
  bool dirty_ = true;
  ScopedTimer retry_timer_;
};

}  // namespace herd::manager
