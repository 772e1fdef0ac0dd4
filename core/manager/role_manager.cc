#include "core/manager/role_manager.h"

#include "core/store/write_tx.h"

namespace herd::manager {

RoleManager::RoleManager(LeaderContext& context) : context_(context), retry_timer_(context.clock) {
  context_.store.add_watcher(this);
  reconcile();
}

RoleManager::~RoleManager() { context_.store.remove_watcher(this); }

void RoleManager::on_store_event(const store::Event& event) {
  if (const auto* node = std::get_if<store::Change<proto::Node>>(&event);
      node != nullptr && !node->removed() &&
      node->after->spec().desired_role() != node->after->role()) {
    dirty_ = true;
  }
}

void RoleManager::on_store_commit(std::uint64_t) {
  if (dirty_) reconcile();
}

void RoleManager::retry_later() {
  if (!retry_timer_.armed()) {
    retry_timer_.arm(kRetryInterval, [this] {
      dirty_ = true;
      reconcile();
    });
  }
}

void RoleManager::reconcile() {
  if (in_flight_ || context_.membership == nullptr) return;
  dirty_ = false;
  for (const auto& [id, node] : context_.store.table<proto::Node>().all()) {
    if (node.spec().desired_role() == node.role()) continue;
    if (node.spec().desired_role() == proto::NODE_ROLE_MANAGER) {
      promote(node);
    } else {
      demote(node);
    }
    if (in_flight_) return;  // one membership change at a time
  }
}

void RoleManager::promote(const proto::Node& node) {
  const NodeId member(node.status().transport_id());
  if (member == kNoNode || node.status().state() != proto::NODE_STATE_READY) {
    retry_later();  // it must be connected before it can join the Raft group
    return;
  }
  in_flight_ = true;
  context_.logger.info("role.promote", {{"node", node.meta().id()}, {"raft_id", member}});
  context_.membership->add_voter(
      member, node.status().addr(), [this, id = node.meta().id(), member](const Status& status) {
        in_flight_ = false;
        if (status.code() == StatusCode::kNotLeader) return;
        if (!status.is_ok()) {
          context_.logger.warning("role.promote_failed", {{"error", status.to_string()}});
          retry_later();
          return;
        }
        finish(id, proto::NODE_ROLE_MANAGER, member);
      });
}

void RoleManager::demote(const proto::Node& node) {
  RaftMembership& membership = *context_.membership;
  const NodeId member(node.manager_status().raft_id());
  if (member == membership.self()) {
    // The leader cannot remove itself safely: hand over, and let the next leader do it.
    for (NodeId voter : membership.voters()) {
      if (voter != member && membership.reachable(voter)) {
        context_.logger.info("role.transfer_before_demote", {{"to", voter}});
        membership.transfer_leadership(voter);
        break;
      }
    }
    retry_later();
    return;
  }
  std::size_t remaining = 0;
  std::size_t reachable = 0;
  for (NodeId voter : membership.voters()) {
    if (voter == member) continue;
    ++remaining;
    reachable += membership.reachable(voter) ? 1 : 0;
  }
  if (remaining == 0 || reachable < remaining / 2 + 1) {
    retry_later();
    return;
  }
  in_flight_ = true;
  context_.logger.info("role.demote", {{"node", node.meta().id()}, {"raft_id", member}});
  membership.remove_member(member, [this, id = node.meta().id(), member](const Status& status) {
    in_flight_ = false;
    if (status.code() == StatusCode::kNotLeader) return;
    // not_found: it had already left the group; only the role is left to write.
    if (!status.is_ok() && status.code() != StatusCode::kNotFound) {
      retry_later();
      return;
    }
    finish(id, proto::NODE_ROLE_WORKER, member);
  });
}

void RoleManager::finish(const std::string& node_id, proto::NodeRole role, NodeId raft_id) {
  const proto::Node* node = context_.store.get<proto::Node>(node_id);
  if (node == nullptr) return;
  proto::Node updated = *node;
  updated.set_role(role);
  if (role == proto::NODE_ROLE_MANAGER) {
    proto::ManagerStatus* status = updated.mutable_manager_status();
    status->set_raft_id(raft_id.value());
    status->set_addr(node->status().addr());
    status->set_reachability(proto::REACHABILITY_REACHABLE);
  } else {
    updated.clear_manager_status();
  }
  store::WriteTx tx;
  tx.update(std::move(updated));
  in_flight_ = true;
  context_.proposer.propose(std::move(tx).release(), [this](const Status& status) {
    in_flight_ = false;
    if (status.code() == StatusCode::kNotLeader) return;
    dirty_ = true;
    reconcile();
  });
}

}  // namespace herd::manager
