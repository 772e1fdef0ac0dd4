// ManagerNode: one manager — its Raft replica of the store, and the leader's components while
// it leads (SwarmKit's manager/manager.go and its Raft node).
//
// It runs the Raft Ready loop over the seam: ticks from the Clock; messages in and out through
// the Transport as Envelopes; every hard state and entry written to Storage and synced before
// the messages that depend on them leave; committed entries decoded as StoreBatches and applied
// to the store in log order; a snapshot of the store every `snapshot_interval` applied entries,
// after which the WAL is compacted. It recovers from Storage on start. Writes from leader-only
// components are pipelined: every proposal made during one event is batched into one Raft entry,
// and many entries can be in flight; each proposer hears its own transaction's result once it is
// applied. Becoming leader builds a Leader (orchestrators, allocator, scheduler, dispatcher, ...);
// losing leadership fails outstanding proposals and destroys it. Control requests received by a
// follower are forwarded to the leader and answered when it answers; session messages reaching
// a follower are refused with the leader's id. Deterministic.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/manager/api/control_api.h"
#include "core/manager/leader.h"
#include "core/manager/membership.h"
#include "core/raft/raw_node.h"
#include "core/runtime/env.h"
#include "proto/control.pb.h"
#include "proto/storage.pb.h"
#include "proto/wire.pb.h"

namespace herd::manager {

struct ManagerConfig {
  NodeId id;
  std::string addr;
  // The first manager of a new cluster bootstraps a one-voter Raft group; the others start
  // empty and are added by the leader.
  bool bootstrap = false;
  Duration tick = seconds(1);
  int heartbeat_tick = 1;
  int election_tick = 10;
  std::uint64_t snapshot_interval = 10'000;
  std::uint64_t keep_entries_after_snapshot = 500;
  std::size_t max_batch_bytes = 1 << 20;  // transactions per Raft entry
  Duration forward_timeout = seconds(10);
};

// What outside observers (the scenario runner's invariant checkers, metrics) may see.
class ManagerObserver {
 public:
  virtual ~ManagerObserver() = default;
  virtual void on_applied(NodeId manager, LogIndex index, Term term, std::uint64_t entry_hash) = 0;
  virtual void on_leadership(NodeId manager, Term term, bool leader) = 0;
};

class ManagerNode final : public Proposer, public RaftMembership, public SessionSender {
 public:
  using Reply = ControlApi::Reply;

  ManagerNode(Env& env, ManagerConfig config);
  ~ManagerNode() override;
  ManagerNode(const ManagerNode&) = delete;
  ManagerNode& operator=(const ManagerNode&) = delete;

  // Recovers from Storage (corruption refuses to start), bootstraps if asked, starts ticking.
  Status start();

  // Envelopes of kinds RAFT, CONTROL_REQUEST, CONTROL_RESPONSE and SESSION requests.
  void on_envelope(NodeId from, const proto::Envelope& envelope);
  void on_peer_up(NodeId peer);
  void on_peer_down(NodeId peer);

  // A control request from a local client: served here when leading, else by the leader.
  void control(const proto::ControlRequest& request, Reply reply);

  // An observer set while this manager leads hears so at once.
  void set_observer(ManagerObserver* observer);
  // A WAL record that must survive compaction (the node's identity): re-appended after each.
  void set_pinned_record(std::string record) { pinned_record_ = std::move(record); }

  const store::Store& store() const { return store_; }
  // Outside observers (the scenario runner's counters, benchmarks) may watch the store; they read
  // only, and must be removed before they die unless the manager dies first.
  void add_store_watcher(store::Watcher* watcher) { store_.add_watcher(watcher); }
  void remove_store_watcher(store::Watcher* watcher) { store_.remove_watcher(watcher); }
  bool is_leader() const { return leader_ != nullptr; }
  NodeId leader_id() const { return raft_ ? raft_->leader() : kNoNode; }
  raft::RaftStatus raft_status() const { return raft_->status(); }
  Leader* leader() { return leader_.get(); }
  std::uint64_t snapshots_taken() const { return snapshots_taken_; }
  // Store transactions proposed here, and times this manager gained or lost leadership.
  std::uint64_t proposals() const { return proposals_; }
  std::uint64_t leadership_changes() const { return leadership_changes_; }

  // Proposer
  void propose(proto::StoreTransaction transaction, Proposer::Done done) override;
  // RaftMembership
  NodeId self() const override { return config_.id; }
  std::vector<NodeId> voters() const override;
  bool reachable(NodeId member) const override;
  void add_voter(NodeId member, const std::string& addr, RaftMembership::Done done) override;
  void remove_member(NodeId member, RaftMembership::Done done) override;
  void transfer_leadership(NodeId to) override;
  // SessionSender (the dispatcher's answers to agents)
  void send(NodeId to, const proto::SessionMessage& message) override;

 private:
  Status recover();
  void on_tick();
  void schedule_flush();
  void flush_proposals();
  void process_ready();
  Status persist(const raft::Ready& ready);
  void apply_entry(const proto::raft::Entry& entry, std::vector<std::function<void()>>& callbacks);
  void apply_snapshot(const proto::raft::Snapshot& snapshot);
  // Where the members listen, from the store, after a snapshot replaced the log.
  void learn_member_addresses();
  void maybe_snapshot();
  void leadership_changed();
  // The Raft voters and where they listen, for agents.
  std::vector<proto::ManagerPeer> manager_peers() const;
  void send_envelope(NodeId to, proto::MessageKind kind, const std::string& payload);
  void handle_forwarded(NodeId from, const proto::ForwardedControl& forwarded, bool response);
  void fail_pending(const Status& status);
  void later(std::function<void()> callback);

  Env& env_;
  ManagerConfig config_;
  Rng leader_rng_;
  store::Store store_;
  raft::MemoryLogStorage log_;
  std::unique_ptr<raft::RawNode> raft_;
  std::unique_ptr<LeaderContext> context_;
  std::unique_ptr<Leader> leader_;
  ManagerObserver* observer_ = nullptr;
  ScopedTimer tick_timer_;
  ScopedTimer flush_timer_;

  // Proposals waiting to be batched, and those in Raft, by transaction id.
  std::vector<proto::StoreTransaction> batch_;
  std::size_t batch_bytes_ = 0;
  std::map<std::uint64_t, Proposer::Done> in_flight_;
  std::uint64_t next_transaction_ = 1;
  // Membership changes in Raft, by the member they change.
  std::map<NodeId, RaftMembership::Done> membership_in_flight_;
  std::map<NodeId, std::string> member_addrs_;
  std::set<NodeId> down_peers_;

  // Control requests forwarded to the leader, waiting for its answer.
  struct Forwarded {
    Reply reply;
    TimerId timeout;
    NodeId to;  // the leader it was sent to
  };
  std::map<std::uint64_t, Forwarded> forwarded_;
  std::uint64_t next_forward_ = 1;

  // Storage bookkeeping: the WAL sequence of each index's entry record, for compaction.
  std::map<LogIndex, std::uint64_t> entry_sequence_;
  LogIndex snapshot_index_;
  std::uint64_t snapshots_taken_ = 0;
  std::uint64_t proposals_ = 0;
  std::uint64_t leadership_changes_ = 0;
  bool was_leader_ = false;
  bool in_ready_ = false;
  std::string pinned_record_;
};

}  // namespace herd::manager
