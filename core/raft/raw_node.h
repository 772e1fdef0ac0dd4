// RawNode: the host's interface to a Raft node (etcd raft's RawNode).
//
// The host drives it with tick(), step() for every received message, and the local requests
// propose(), propose_conf_change(), transfer_leadership() and read_index(). Whenever
// has_ready(), it takes a Ready batch and must, in this order: persist `hard_state`, `entries`
// and `snapshot` (durably: a vote must be on disk before the message that carries it leaves);
// then send `messages`; then apply `snapshot` and `committed_entries` to its state machine
// (calling apply_conf_change() for configuration entries); then call advance(). Deterministic.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/raft/raft.h"

namespace herd::raft {

struct Ready {
  std::optional<SoftState> soft_state;                // leader or role changed
  std::optional<proto::raft::HardState> hard_state;   // to persist; absent when unchanged
  std::vector<proto::raft::Entry> entries;            // to persist
  std::optional<proto::raft::Snapshot> snapshot;      // to persist and apply
  std::vector<proto::raft::Entry> committed_entries;  // to apply, in order
  std::vector<proto::raft::Message> messages;         // to send, after persisting
  std::vector<ReadState> read_states;                 // linearizable reads now servable
  // Whether the host must fsync before sending (anything in hard state or entries changed).
  bool must_sync = false;
};

class RawNode {
 public:
  // `storage` must outlive the node; the host appends to it what Ready batches persist.
  RawNode(const RaftConfig& config, const LogStorage& storage);

  // For a brand-new cluster: the first node(s), with their initial voters.
  Status bootstrap(const std::vector<NodeId>& voters) { return raft_.bootstrap(voters); }

  void tick() { raft_.tick(); }
  void campaign() { raft_.campaign(); }
  // invalid_argument for malformed input; other errors say why the message was not taken.
  Status step(const proto::raft::Message& message);
  // not_leader when this node is not the leader and knows none to forward to.
  Status propose(std::string data);
  // Also failed_precondition while another configuration change is pending.
  Status propose_conf_change(const proto::raft::ConfChange& change);
  Status transfer_leadership(NodeId to) { return raft_.transfer_leadership(to); }
  Status read_index(std::string context) { return raft_.read_index(std::move(context)); }
  proto::raft::ConfState apply_conf_change(const proto::raft::ConfChange& change) {
    return raft_.apply_conf_change(change);
  }
  void report_unreachable(NodeId peer) { raft_.report_unreachable(peer); }
  void report_snapshot(NodeId peer, bool succeeded) { raft_.report_snapshot(peer, succeeded); }

  bool has_ready() const;
  Ready ready();
  void advance(const Ready& ready);

  RaftStatus status() const { return raft_.status(); }
  NodeId id() const { return raft_.id(); }
  NodeId leader() const { return raft_.leader(); }
  Term term() const { return raft_.term(); }
  bool is_leader() const { return raft_.role() == Role::kLeader; }
  proto::raft::ConfState conf_state() const { return raft_.conf_state(); }

 private:
  Raft raft_;
  SoftState previous_soft_;
  proto::raft::HardState previous_hard_;
};

}  // namespace herd::raft
