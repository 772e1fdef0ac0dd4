// Raft: the consensus state machine itself (the Raft paper, Figure 2 and §5–§6, with the
// thesis's pre-vote, check-quorum, leader transfer and read index), in the shape of etcd's raft.
//
// Pure: no I/O, no clock, no threads. Time is tick(); input is step(message) and the local
// requests (propose, campaign, transfer, read index); output is the messages it queues and the
// state RawNode turns into Ready batches. Membership changes are one at a time: a change is
// pending from the moment it is proposed until the host reports it applied, and no other is
// accepted meanwhile. Randomness (the election timeout) comes from the injected Rng, so the
// same seed gives the same elections. Deterministic: peers are kept and visited in NodeId order.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/raft/progress.h"
#include "core/raft/raft_log.h"
#include "core/runtime/cost_meter.h"
#include "core/runtime/rng.h"
#include "core/runtime/status.h"

namespace herd::raft {

struct RaftConfig {
  NodeId id;
  int election_tick = 10;  // SwarmKit's default; the randomized timeout is in [10, 20) ticks
  int heartbeat_tick = 1;
  std::uint64_t max_size_per_msg = 64 * 1024;  // bytes of entries per append
  std::size_t max_inflight_msgs = 256;
  std::uint64_t max_committed_size_per_ready = 8 * 1024 * 1024;
  bool pre_vote = true;
  bool check_quorum = true;
  Rng* rng = nullptr;         // required: election timeout jitter
  CostMeter* cost = nullptr;  // optional: CPU accounting in simnet
};

enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
std::string_view role_name(Role role);

struct SoftState {
  NodeId leader;
  Role role = Role::kFollower;
  friend bool operator==(const SoftState&, const SoftState&) = default;
};

// A linearizable read may be served once the applied index reaches `index`.
struct ReadState {
  LogIndex index;
  std::string context;
};

struct PeerStatus {
  LogIndex match;
  LogIndex next;
  ProgressState state = ProgressState::kProbe;
  std::size_t inflight = 0;
  bool recent_active = false;
  bool learner = false;
};

struct RaftStatus {
  NodeId id;
  Role role = Role::kFollower;
  Term term;
  NodeId vote;
  NodeId leader;
  LogIndex commit;
  LogIndex applied;
  LogIndex last_index;
  NodeId lead_transferee;
  std::vector<NodeId> voters;
  std::vector<NodeId> learners;
  std::map<NodeId, PeerStatus> progress;  // the leader's view; empty on other roles
};

class Raft {
 public:
  Raft(const RaftConfig& config, const LogStorage& storage);

  // Starts a new cluster's first node(s) with the given voters; the log must be empty.
  Status bootstrap(const std::vector<NodeId>& voters);

  void tick();
  Status step(const proto::raft::Message& message);

  // Local requests.
  void campaign();
  Status propose(std::vector<proto::raft::Entry> entries);
  Status transfer_leadership(NodeId to);
  Status read_index(std::string context);
  // The host applied a committed configuration change.
  proto::raft::ConfState apply_conf_change(const proto::raft::ConfChange& change);
  void report_unreachable(NodeId peer);
  void report_snapshot(NodeId peer, bool succeeded);

  // State for RawNode and status reporting.
  RaftLog& log() { return log_; }
  const RaftLog& log() const { return log_; }
  SoftState soft_state() const { return SoftState{leader_, role_}; }
  proto::raft::HardState hard_state() const;
  std::vector<proto::raft::Message> take_messages();
  std::vector<ReadState> take_read_states();
  bool has_messages() const { return !messages_.empty() || broadcast_pending_; }
  // Sends what proposals since the last call have appended.
  void flush();
  bool has_read_states() const { return !read_states_.empty(); }
  RaftStatus status() const;
  proto::raft::ConfState conf_state() const;
  NodeId id() const { return id_; }
  Term term() const { return term_; }
  Role role() const { return role_; }
  NodeId leader() const { return leader_; }
  bool promotable() const { return voters_.count(id_) != 0; }

 private:
  enum class CampaignType { kPreElection, kElection, kTransfer };
  struct ReadRequest {
    LogIndex index;
    std::string context;
    NodeId requester;  // kNoNode: this node's own request
    std::set<NodeId> acks;
  };

  void become_follower(Term term, NodeId leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term term);
  void reset_randomized_election_timeout();
  void start_campaign(CampaignType type);
  bool quorum_active();
  std::size_t quorum() const { return voters_.size() / 2 + 1; }

  void send(proto::raft::Message message);
  bool send_append(NodeId to, bool allow_empty = true);
  void send_heartbeat(NodeId to, const std::string& context);
  void send_timeout_now(NodeId to);
  void broadcast_append();
  void broadcast_heartbeat();
  bool maybe_commit();
  void append_entries(std::vector<proto::raft::Entry> entries);
  void release_reads(const std::string& context);
  void add_node(NodeId id, bool learner);
  void remove_node(NodeId id);
  void abort_transfer() { lead_transferee_ = kNoNode; }

  Status step_leader(const proto::raft::Message& message);
  Status step_candidate(const proto::raft::Message& message);
  Status step_follower(const proto::raft::Message& message);
  void handle_append(const proto::raft::Message& message);
  void handle_heartbeat(const proto::raft::Message& message);
  void handle_snapshot(const proto::raft::Message& message);
  bool restore(const proto::raft::Snapshot& snapshot);
  // The largest index <= index whose term is <= term, and that term (fast backtracking).
  std::pair<LogIndex, Term> find_conflict_by_term(LogIndex index, Term term) const;

  NodeId id_;
  RaftConfig config_;
  RaftLog log_;
  Term term_;
  NodeId vote_;
  NodeId leader_;
  Role role_ = Role::kFollower;
  std::set<NodeId> voters_;
  std::set<NodeId> learners_;
  std::map<NodeId, Progress> progress_;
  std::map<NodeId, bool> votes_;
  LogIndex pending_conf_index_;
  NodeId lead_transferee_;
  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  std::vector<proto::raft::Message> messages_;
  std::vector<ReadState> read_states_;
  std::vector<ReadRequest> pending_reads_;
  bool broadcast_pending_ = false;
};

}  // namespace herd::raft
