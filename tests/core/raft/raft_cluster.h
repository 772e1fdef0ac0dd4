// A test cluster of Raft nodes over an in-memory network: each node has a MemoryLogStorage that
// survives crashes (what a Ready batch persisted), an applied-entries list (its state machine),
// and a RawNode rebuilt from storage on restart. Messages go into a queue the test delivers,
// drops, duplicates, delays or reorders as it likes.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/raft/raw_node.h"

namespace herd::raft {

struct TestNode {
  NodeId id;
  std::unique_ptr<MemoryLogStorage> storage = std::make_unique<MemoryLogStorage>();
  std::unique_ptr<Rng> rng;
  std::unique_ptr<RawNode> node;
  std::vector<proto::raft::Entry> applied;  // every applied entry, in order
  std::vector<ReadState> reads;
  bool up = true;
  LogIndex last_commit;  // for "commit never goes back"
};

class RaftCluster {
 public:
  // `size` voters with ids 1..size; every node is bootstrapped with all of them.
  RaftCluster(int size, std::uint64_t seed, RaftConfig base = RaftConfig())
      : base_(base), seed_(seed) {
    std::vector<NodeId> voters;
    for (int i = 1; i <= size; ++i) voters.emplace_back(static_cast<std::uint64_t>(i));
    for (NodeId id : voters) {
      TestNode& n = nodes_[id];
      n.id = id;
      start(n);
      HERD_CHECK(n.node->bootstrap(voters).is_ok());
      process(n);
    }
  }

  // Adds a node that is not in any configuration (it joins through a configuration change).
  TestNode& add_empty_node(NodeId id) {
    TestNode& n = nodes_[id];
    n.id = id;
    start(n);
    return n;
  }

  void start(TestNode& n) {
    RaftConfig config = base_;
    config.id = n.id;
    n.rng = std::make_unique<Rng>(Rng(seed_).fork("raft/" + std::to_string(n.id.value()) + "/" +
                                                  std::to_string(restarts_++)));
    config.rng = n.rng.get();
    n.node = std::make_unique<RawNode>(config, *n.storage);
    n.up = true;
  }

  // Loses everything in memory; the storage keeps what was persisted.
  void crash(NodeId id) {
    TestNode& n = nodes_.at(id);
    n.node.reset();
    n.up = false;
    // The state machine is rebuilt by replaying from the snapshot on restart.
    n.applied.clear();
    n.last_commit = LogIndex(0);
  }

  void restart(NodeId id) {
    TestNode& n = nodes_.at(id);
    start(n);
    // Replay: the snapshot's entries are not available individually; a restarted node's
    // applied list restarts at the snapshot and the test compares from there.
    process(n);
  }

  TestNode& node(NodeId id) { return nodes_.at(id); }
  std::map<NodeId, TestNode>& nodes() { return nodes_; }

  // Handles one node's Ready: persist, queue messages, apply.
  void process(TestNode& n) {
    while (n.up && n.node->has_ready()) {
      Ready ready = n.node->ready();
      if (ready.snapshot) {
        HERD_CHECK(n.storage->apply_snapshot(*ready.snapshot).is_ok());
      }
      HERD_CHECK(n.storage->append(ready.entries).is_ok());
      if (ready.hard_state) n.storage->set_hard_state(*ready.hard_state);
      for (proto::raft::Message& m : ready.messages) queue_.push_back(std::move(m));
      if (ready.snapshot) {
        n.applied.clear();  // the state machine is replaced by the snapshot's
        snapshot_index_[n.id] = LogIndex(ready.snapshot->metadata().index());
      }
      for (const proto::raft::Entry& entry : ready.committed_entries) {
        if (entry.type() == proto::raft::ENTRY_TYPE_CONF_CHANGE) {
          proto::raft::ConfChange change;
          HERD_CHECK(change.ParseFromString(entry.data()));
          n.node->apply_conf_change(change);
        }
        n.applied.push_back(entry);
      }
      for (ReadState& read : ready.read_states) n.reads.push_back(std::move(read));
      n.node->advance(ready);
    }
  }

  void process_all() {
    for (auto& [id, n] : nodes_) process(n);
  }

  void tick_all() {
    for (auto& [id, n] : nodes_) {
      if (!n.up) continue;
      n.node->tick();
      process(n);
    }
  }

  bool deliver_one() {
    if (queue_.empty()) return false;
    proto::raft::Message m = std::move(queue_.front());
    queue_.pop_front();
    deliver(m);
    return true;
  }

  void deliver(const proto::raft::Message& m) {
    const auto it = nodes_.find(NodeId(m.to()));
    if (it == nodes_.end() || !it->second.up ||
        cut_.count({NodeId(m.from()), NodeId(m.to())}) != 0) {
      dropped(m);
      return;
    }
    (void)it->second.node->step(m);
    process(it->second);
    if (m.type() == proto::raft::MSG_SNAPSHOT) {
      // The transport handed the snapshot over: the host tells the sender.
      const auto sender = nodes_.find(NodeId(m.from()));
      if (sender != nodes_.end() && sender->second.up) {
        sender->second.node->report_snapshot(NodeId(m.to()), true);
        process(sender->second);
      }
    }
  }

  // What a host's transport does when a message is lost: a snapshot that never arrived is
  // reported, so the leader stops waiting for it.
  void dropped(const proto::raft::Message& m) {
    if (m.type() != proto::raft::MSG_SNAPSHOT) return;
    const auto sender = nodes_.find(NodeId(m.from()));
    if (sender == nodes_.end() || !sender->second.up) return;
    sender->second.node->report_snapshot(NodeId(m.to()), false);
    process(sender->second);
  }

  // Delivers everything until the network is quiet (bounded).
  void settle(int max_messages = 100000) {
    for (int i = 0; i < max_messages && deliver_one(); ++i) {
    }
  }

  // Ticks and settles until a leader exists, up to `max_ticks`.
  NodeId elect(int max_ticks = 200) {
    for (int i = 0; i < max_ticks; ++i) {
      if (NodeId leader = leader_id(); leader != kNoNode) return leader;
      tick_all();
      settle();
    }
    return leader_id();
  }

  NodeId leader_id() const {
    NodeId leader;
    Term best;
    for (const auto& [id, n] : nodes_) {
      if (n.up && n.node->is_leader() && n.node->term() >= best) {
        leader = id;
        best = n.node->term();
      }
    }
    return leader;
  }

  void isolate(NodeId id) {
    for (const auto& [other, n] : nodes_) {
      if (other == id) continue;
      cut_.insert({id, other});
      cut_.insert({other, id});
    }
  }
  void cut(NodeId from, NodeId to) { cut_.insert({from, to}); }
  void heal() { cut_.clear(); }

  std::deque<proto::raft::Message>& queue() { return queue_; }
  LogIndex snapshot_index(NodeId id) const {
    const auto it = snapshot_index_.find(id);
    return it == snapshot_index_.end() ? LogIndex(0) : it->second;
  }

 private:
  RaftConfig base_;
  std::uint64_t seed_;
  std::uint64_t restarts_ = 0;
  std::map<NodeId, TestNode> nodes_;
  std::deque<proto::raft::Message> queue_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::map<NodeId, LogIndex> snapshot_index_;
};

}  // namespace herd::raft
