#include "core/raft/raft.h"

#include <algorithm>

#include "core/runtime/check.h"

namespace herd::raft {
namespace {

using proto::raft::Message;
using proto::raft::MessageType;

constexpr std::string_view kTransferContext = "transfer";

}  // namespace

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "unknown";
}

Raft::Raft(const RaftConfig& config, const LogStorage& storage)
    : id_(config.id), config_(config), log_(storage) {
  HERD_CHECK(config_.rng != nullptr) << "RaftConfig.rng is required";
  HERD_CHECK(config_.id != kNoNode) << "RaftConfig.id must not be 0";
  HERD_CHECK(config_.heartbeat_tick > 0 && config_.election_tick > config_.heartbeat_tick)
      << "election tick " << config_.election_tick << " must exceed heartbeat tick "
      << config_.heartbeat_tick;
  const InitialState initial = storage.initial_state();
  for (std::uint64_t voter : initial.conf_state.voters()) add_node(NodeId(voter), false);
  for (std::uint64_t learner : initial.conf_state.learners()) add_node(NodeId(learner), true);
  term_ = Term(initial.hard_state.term());
  vote_ = NodeId(initial.hard_state.vote());
  if (initial.hard_state.commit() > 0) log_.commit_to(LogIndex(initial.hard_state.commit()));
  become_follower(term_, kNoNode);
}

Status Raft::bootstrap(const std::vector<NodeId>& voters) {
  if (log_.last_index() != LogIndex(0) || !voters_.empty()) {
    return Status::failed_precondition("bootstrap needs an empty log and configuration");
  }
  if (voters.empty()) return Status::invalid_argument("bootstrap needs at least one voter");
  // The initial configuration goes into the log as committed entries of term 1, so that nodes
  // that join later replay it like any other configuration change.
  become_follower(Term(1), kNoNode);
  std::vector<proto::raft::Entry> entries;
  LogIndex index;
  for (NodeId voter : voters) {
    proto::raft::ConfChange change;
    change.set_type(proto::raft::CONF_CHANGE_ADD_VOTER);
    change.set_node_id(voter.value());
    proto::raft::Entry& entry = entries.emplace_back();
    entry.set_type(proto::raft::ENTRY_TYPE_CONF_CHANGE);
    entry.set_term(1);
    entry.set_index((++index).value());
    entry.set_data(change.SerializeAsString());
  }
  log_.append(std::move(entries));
  log_.commit_to(index);
  for (NodeId voter : voters) add_node(voter, false);
  return Status::ok();
}

proto::raft::HardState Raft::hard_state() const {
  proto::raft::HardState state;
  state.set_term(term_.value());
  state.set_vote(vote_.value());
  state.set_commit(log_.committed().value());
  return state;
}

proto::raft::ConfState Raft::conf_state() const {
  proto::raft::ConfState state;
  for (NodeId voter : voters_) state.add_voters(voter.value());
  for (NodeId learner : learners_) state.add_learners(learner.value());
  return state;
}

std::vector<Message> Raft::take_messages() {
  std::vector<Message> out;
  out.swap(messages_);
  return out;
}

std::vector<ReadState> Raft::take_read_states() {
  std::vector<ReadState> out;
  out.swap(read_states_);
  return out;
}

void Raft::send(Message message) {
  message.set_from(id_.value());
  // Elections carry their own term; everything else carries ours (proposals are forwarded
  // without a term, as local requests).
  if (message.type() != proto::raft::MSG_VOTE && message.type() != proto::raft::MSG_PRE_VOTE &&
      message.type() != proto::raft::MSG_PRE_VOTE_RESPONSE &&
      message.type() != proto::raft::MSG_PROPOSE && message.type() != proto::raft::MSG_READ_INDEX) {
    message.set_term(term_.value());
  }
  messages_.push_back(std::move(message));
}

void Raft::reset_randomized_election_timeout() {
  randomized_election_timeout_ =
      static_cast<int>(config_.rng->between(config_.election_tick, 2 * config_.election_tick - 1));
}

void Raft::reset(Term term) {
  if (term_ != term) {
    term_ = term;
    vote_ = kNoNode;
  }
  leader_ = kNoNode;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_randomized_election_timeout();
  abort_transfer();
  votes_.clear();
  pending_reads_.clear();
  const LogIndex last = log_.last_index();
  for (auto& [id, progress] : progress_) {
    progress = Progress(last + 1, config_.max_inflight_msgs, progress.learner());
    if (id == id_) progress.maybe_update(last);
  }
}

void Raft::become_follower(Term term, NodeId leader) {
  reset(term);
  leader_ = leader;
  role_ = Role::kFollower;
}

void Raft::become_pre_candidate() {
  // Pre-vote (thesis §9.6) changes neither the term nor the vote, so a node that cannot win
  // does not disturb the cluster.
  votes_.clear();
  leader_ = kNoNode;
  role_ = Role::kPreCandidate;
}

void Raft::become_candidate() {
  reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
}

void Raft::become_leader() {
  reset(term_);
  leader_ = id_;
  role_ = Role::kLeader;
  for (auto& [id, progress] : progress_) {
    if (id == id_) progress.become_replicate();
  }
  // No configuration change until this leader's first entry commits: earlier entries may hold
  // an uncommitted change (§4.1 of the thesis needs one change at a time).
  pending_conf_index_ = log_.last_index();
  // A no-op entry of the new term: entries of earlier terms commit only through it (§5.4.2).
  proto::raft::Entry noop;
  append_entries({noop});
}

void Raft::add_node(NodeId id, bool learner) {
  const auto it = progress_.find(id);
  if (it == progress_.end()) {
    progress_.emplace(id, Progress(log_.last_index() + 1, config_.max_inflight_msgs, learner));
    // A new member counts as active so a check-quorum right after does not depose the leader.
    progress_.at(id).set_recent_active(true);
  } else {
    it->second.set_learner(learner);
  }
  if (learner) {
    voters_.erase(id);
    learners_.insert(id);
  } else {
    learners_.erase(id);
    voters_.insert(id);
  }
}

void Raft::remove_node(NodeId id) {
  voters_.erase(id);
  learners_.erase(id);
  progress_.erase(id);
}

void Raft::tick() {
  if (config_.cost != nullptr) config_.cost->charge(Work::kRaftTick, 1);
  if (role_ == Role::kLeader) {
    ++heartbeat_elapsed_;
    ++election_elapsed_;
    if (election_elapsed_ >= config_.election_tick) {
      election_elapsed_ = 0;
      if (config_.check_quorum && !quorum_active()) {
        // §6.2 / check-quorum: a leader cut off from a majority must not keep serving.
        become_follower(term_, kNoNode);
        return;
      }
      abort_transfer();  // the transfer took longer than an election timeout
    }
    if (heartbeat_elapsed_ >= config_.heartbeat_tick) {
      heartbeat_elapsed_ = 0;
      broadcast_heartbeat();
    }
    return;
  }
  ++election_elapsed_;
  if (promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    campaign();
  }
}

bool Raft::quorum_active() {
  std::size_t active = 0;
  for (auto& [id, progress] : progress_) {
    if (id == id_) {
      active += voters_.count(id);
      continue;
    }
    if (progress.recent_active() && voters_.count(id) != 0) ++active;
    progress.set_recent_active(false);
  }
  return active >= quorum();
}

void Raft::campaign() {
  if (!promotable()) return;  // a node outside the configuration never campaigns
  if (role_ == Role::kLeader) return;
  start_campaign(config_.pre_vote ? CampaignType::kPreElection : CampaignType::kElection);
}

void Raft::start_campaign(CampaignType type) {
  Term vote_term;
  MessageType vote_type;
  if (type == CampaignType::kPreElection) {
    become_pre_candidate();
    vote_term = term_ + 1;
    vote_type = proto::raft::MSG_PRE_VOTE;
  } else {
    become_candidate();
    vote_term = term_;
    vote_type = proto::raft::MSG_VOTE;
  }
  votes_[id_] = true;
  if (votes_.size() >= quorum()) {
    // A single-voter group wins at once.
    if (type == CampaignType::kPreElection) {
      start_campaign(CampaignType::kElection);
    } else {
      become_leader();
    }
    return;
  }
  for (NodeId voter : voters_) {
    if (voter == id_) continue;
    Message message;
    message.set_type(vote_type);
    message.set_to(voter.value());
    message.set_term(vote_term.value());
    message.set_index(log_.last_index().value());
    message.set_log_term(log_.last_term().value());
    if (type == CampaignType::kTransfer) message.set_context(std::string(kTransferContext));
    send(std::move(message));
  }
}

Status Raft::step(const Message& m) {
  if (config_.cost != nullptr) config_.cost->charge(Work::kRaftMessage, 1);
  const Term message_term(m.term());
  const NodeId from(m.from());
  const bool term_free =
      m.type() == proto::raft::MSG_PROPOSE || m.type() == proto::raft::MSG_READ_INDEX;
  if (m.type() == proto::raft::MESSAGE_TYPE_UNSPECIFIED || from == kNoNode) {
    return Status::invalid_argument("raft message without a type or sender");
  }
  if (!term_free && message_term > term_) {
    const bool election =
        m.type() == proto::raft::MSG_VOTE || m.type() == proto::raft::MSG_PRE_VOTE;
    if (election) {
      // While a leader is known and heard from recently, ignore disruptive candidates
      // (thesis §4.2.3), unless the leader itself asked for this election (transfer).
      const bool forced = m.context() == kTransferContext;
      const bool in_lease =
          config_.check_quorum && leader_ != kNoNode && election_elapsed_ < config_.election_tick;
      if (!forced && in_lease) return Status::ok();
    }
    if (m.type() == proto::raft::MSG_PRE_VOTE) {
      // A pre-vote does not move our term.
    } else if (m.type() == proto::raft::MSG_PRE_VOTE_RESPONSE && !m.reject()) {
      // Granted pre-votes carry the term we would campaign in; ours moves when we do.
    } else if (m.type() == proto::raft::MSG_APPEND || m.type() == proto::raft::MSG_HEARTBEAT ||
               m.type() == proto::raft::MSG_SNAPSHOT) {
      become_follower(message_term, from);
    } else {
      become_follower(message_term, kNoNode);
    }
  } else if (!term_free && message_term < term_) {
    if ((config_.check_quorum || config_.pre_vote) &&
        (m.type() == proto::raft::MSG_HEARTBEAT || m.type() == proto::raft::MSG_APPEND)) {
      // A stale leader (e.g. healed after a partition) learns our term and steps down; without
      // this, pre-vote could leave it unable to ever hear of the newer term.
      Message reply;
      reply.set_type(proto::raft::MSG_APPEND_RESPONSE);
      reply.set_to(m.from());
      send(std::move(reply));
    } else if (m.type() == proto::raft::MSG_PRE_VOTE) {
      Message reply;
      reply.set_type(proto::raft::MSG_PRE_VOTE_RESPONSE);
      reply.set_to(m.from());
      reply.set_term(term_.value());
      reply.set_reject(true);
      send(std::move(reply));
    }
    return Status::ok();
  }

  if (m.type() == proto::raft::MSG_VOTE || m.type() == proto::raft::MSG_PRE_VOTE) {
    // §5.2, §5.4.1: one vote per term, only for a log at least as up to date as ours.
    const bool can_vote = vote_ == from || (vote_ == kNoNode && leader_ == kNoNode) ||
                          (m.type() == proto::raft::MSG_PRE_VOTE && message_term > term_);
    const bool grant = can_vote && log_.is_up_to_date(LogIndex(m.index()), Term(m.log_term()));
    Message reply;
    reply.set_type(m.type() == proto::raft::MSG_VOTE ? proto::raft::MSG_VOTE_RESPONSE
                                                     : proto::raft::MSG_PRE_VOTE_RESPONSE);
    reply.set_to(m.from());
    reply.set_reject(!grant);
    // A granted pre-vote answers in the candidate's future term; a refusal in ours.
    reply.set_term(grant && m.type() == proto::raft::MSG_PRE_VOTE ? message_term.value()
                                                                  : term_.value());
    send(std::move(reply));
    if (grant && m.type() == proto::raft::MSG_VOTE) {
      election_elapsed_ = 0;
      vote_ = from;
    }
    return Status::ok();
  }

  switch (role_) {
    case Role::kLeader:
      return step_leader(m);
    case Role::kCandidate:
    case Role::kPreCandidate:
      return step_candidate(m);
    case Role::kFollower:
      return step_follower(m);
  }
  return Status::ok();
}

Status Raft::step_leader(const Message& m) {
  const NodeId from(m.from());
  if (m.type() == proto::raft::MSG_PROPOSE) {
    std::vector<proto::raft::Entry> entries(m.entries().begin(), m.entries().end());
    return propose(std::move(entries));
  }
  if (m.type() == proto::raft::MSG_READ_INDEX) {
    if (progress_.find(from) == progress_.end()) return Status::ok();
    if (LogIndex committed = log_.committed(); log_.term(committed) != term_) {
      return Status::ok();  // the follower retries; we cannot answer before our no-op commits
    }
    pending_reads_.push_back(ReadRequest{log_.committed(), m.context(), from, {id_}});
    if (pending_reads_.back().acks.size() >= quorum()) {
      release_reads(m.context());
    } else {
      broadcast_heartbeat();
    }
    return Status::ok();
  }
  const auto found = progress_.find(from);
  if (found == progress_.end()) return Status::ok();  // not a member (removed, or unknown)
  Progress& progress = found->second;
  switch (m.type()) {
    case proto::raft::MSG_APPEND_RESPONSE: {
      progress.set_recent_active(true);
      if (m.reject()) {
        LogIndex next_probe(m.reject_hint());
        if (m.reject_term() > 0)
          next_probe = find_conflict_by_term(next_probe, Term(m.reject_term())).first;
        if (progress.maybe_decrease_to(LogIndex(m.index()), next_probe)) {
          if (progress.state() == ProgressState::kReplicate) progress.become_probe();
          send_append(from);
        }
        return Status::ok();
      }
      const bool was_paused = progress.paused();
      if (progress.maybe_update(LogIndex(m.index()))) {
        if (progress.state() == ProgressState::kProbe) {
          progress.become_replicate();
        } else if (progress.state() == ProgressState::kSnapshot &&
                   progress.match() >= progress.pending_snapshot()) {
          progress.become_probe();
          progress.become_replicate();
        }
        if (maybe_commit()) {
          broadcast_append();
        } else if (was_paused) {
          send_append(from);
        }
        // Keep streaming while the window allows.
        while (progress.state() == ProgressState::kReplicate && !progress.paused() &&
               progress.next() <= log_.last_index() && send_append(from, false)) {
        }
        if (from == lead_transferee_ && progress.match() == log_.last_index())
          send_timeout_now(from);
      }
      return Status::ok();
    }
    case proto::raft::MSG_HEARTBEAT_RESPONSE: {
      progress.set_recent_active(true);
      progress.on_heartbeat_response();
      if (progress.match() < log_.last_index()) send_append(from);
      if (!m.context().empty()) {
        for (ReadRequest& request : pending_reads_) {
          if (request.context == m.context()) {
            request.acks.insert(from);
            if (request.acks.size() >= quorum()) release_reads(request.context);
            break;
          }
        }
      }
      return Status::ok();
    }
    default:
      return Status::ok();  // stale or misdirected: ignored
  }
}

Status Raft::step_candidate(const Message& m) {
  const MessageType my_response = role_ == Role::kPreCandidate ? proto::raft::MSG_PRE_VOTE_RESPONSE
                                                               : proto::raft::MSG_VOTE_RESPONSE;
  switch (m.type()) {
    case proto::raft::MSG_PROPOSE:
      return Status::not_leader("no leader while an election is in progress");
    case proto::raft::MSG_APPEND:
      become_follower(term_, NodeId(m.from()));
      handle_append(m);
      return Status::ok();
    case proto::raft::MSG_HEARTBEAT:
      become_follower(term_, NodeId(m.from()));
      handle_heartbeat(m);
      return Status::ok();
    case proto::raft::MSG_SNAPSHOT:
      become_follower(term_, NodeId(m.from()));
      handle_snapshot(m);
      return Status::ok();
    default:
      break;
  }
  if (m.type() != my_response || voters_.count(NodeId(m.from())) == 0) return Status::ok();
  votes_.emplace(NodeId(m.from()), !m.reject());
  std::size_t granted = 0;
  std::size_t rejected = 0;
  for (const auto& [voter, vote] : votes_) (vote ? granted : rejected)++;
  if (granted >= quorum()) {
    if (role_ == Role::kPreCandidate) {
      start_campaign(CampaignType::kElection);
    } else {
      become_leader();
      broadcast_append();  // announce the no-op, and with it the new leader
    }
  } else if (rejected >= voters_.size() - quorum() + 1) {
    become_follower(term_, kNoNode);
  }
  return Status::ok();
}

Status Raft::step_follower(const Message& m) {
  const NodeId from(m.from());
  switch (m.type()) {
    case proto::raft::MSG_PROPOSE:
      if (leader_ == kNoNode)
        return Status::not_leader("no leader known to forward the proposal to");
      {
        Message forward = m;
        forward.set_to(leader_.value());
        send(std::move(forward));
      }
      return Status::ok();
    case proto::raft::MSG_APPEND:
      election_elapsed_ = 0;
      leader_ = from;
      handle_append(m);
      return Status::ok();
    case proto::raft::MSG_HEARTBEAT:
      election_elapsed_ = 0;
      leader_ = from;
      handle_heartbeat(m);
      return Status::ok();
    case proto::raft::MSG_SNAPSHOT:
      election_elapsed_ = 0;
      leader_ = from;
      handle_snapshot(m);
      return Status::ok();
    case proto::raft::MSG_TIMEOUT_NOW:
      // Leader transfer: start an election at once, skipping pre-vote (thesis §3.10).
      if (promotable()) start_campaign(CampaignType::kTransfer);
      return Status::ok();
    case proto::raft::MSG_READ_INDEX_RESPONSE:
      read_states_.push_back(ReadState{LogIndex(m.index()), m.context()});
      return Status::ok();
    default:
      return Status::ok();
  }
}

std::pair<LogIndex, Term> Raft::find_conflict_by_term(LogIndex index, Term t) const {
  for (LogIndex i = index;; --i) {
    const std::optional<Term> found = log_.term(i);
    if (!found) return {i, Term(0)};
    if (*found <= t) return {i, *found};
    if (i == LogIndex(0)) return {i, *found};
  }
}

void Raft::handle_append(const Message& m) {
  Message reply;
  reply.set_type(proto::raft::MSG_APPEND_RESPONSE);
  reply.set_to(m.from());
  if (LogIndex(m.index()) < log_.committed()) {
    reply.set_index(log_.committed().value());
    send(std::move(reply));
    return;
  }
  if (config_.cost != nullptr)
    config_.cost->charge(Work::kRaftEntry, static_cast<std::uint64_t>(m.entries_size()));
  const std::optional<LogIndex> last =
      log_.maybe_append(LogIndex(m.index()), Term(m.log_term()), LogIndex(m.commit()), m.entries());
  if (last) {
    reply.set_index(last->value());
    send(std::move(reply));
    return;
  }
  // §5.3 with the thesis's optimization: tell the leader where our log can match, so it skips
  // a whole term of entries per round trip instead of one entry.
  const LogIndex hint = std::min(LogIndex(m.index()), log_.last_index());
  const auto [hint_index, hint_term] = find_conflict_by_term(hint, Term(m.log_term()));
  reply.set_index(m.index());
  reply.set_reject(true);
  reply.set_reject_hint(hint_index.value());
  reply.set_reject_term(hint_term.value());
  send(std::move(reply));
}

void Raft::handle_heartbeat(const Message& m) {
  log_.commit_to(std::min(LogIndex(m.commit()), log_.last_index()));
  Message reply;
  reply.set_type(proto::raft::MSG_HEARTBEAT_RESPONSE);
  reply.set_to(m.from());
  reply.set_context(m.context());
  send(std::move(reply));
}

void Raft::handle_snapshot(const Message& m) {
  Message reply;
  reply.set_type(proto::raft::MSG_APPEND_RESPONSE);
  reply.set_to(m.from());
  reply.set_index(restore(m.snapshot()) ? log_.last_index().value() : log_.committed().value());
  send(std::move(reply));
}

bool Raft::restore(const proto::raft::Snapshot& snapshot) {
  const LogIndex index(snapshot.metadata().index());
  if (index <= log_.committed()) return false;
  if (log_.matches(index, Term(snapshot.metadata().term()))) {
    log_.commit_to(index);  // we have the entries: fast-forward instead of replacing the log
    return false;
  }
  log_.restore(snapshot);
  voters_.clear();
  learners_.clear();
  progress_.clear();
  for (std::uint64_t voter : snapshot.metadata().conf_state().voters())
    add_node(NodeId(voter), false);
  for (std::uint64_t learner : snapshot.metadata().conf_state().learners())
    add_node(NodeId(learner), true);
  return true;
}

bool Raft::send_append(NodeId to, bool allow_empty) {
  Progress& progress = progress_.at(to);
  if (progress.paused()) return false;
  const LogIndex prev = progress.next() - 1;
  const std::optional<Term> prev_term = log_.term(prev);
  Result<std::vector<proto::raft::Entry>> entries =
      log_.slice(progress.next(), log_.last_index() + 1, config_.max_size_per_msg);
  if (!prev_term || !entries.ok()) {
    // The entries the follower needs are compacted: send the snapshot (§7). Only to followers
    // heard from recently, so a dead one does not cost a snapshot per heartbeat.
    if (!progress.recent_active()) return false;
    const proto::raft::Snapshot& snapshot = log_.snapshot();
    if (snapshot.metadata().index() == 0) return false;
    Message message;
    message.set_type(proto::raft::MSG_SNAPSHOT);
    message.set_to(to.value());
    *message.mutable_snapshot() = snapshot;
    progress.become_snapshot(LogIndex(snapshot.metadata().index()));
    send(std::move(message));
    return true;
  }
  if (!allow_empty && entries->empty()) return false;
  Message message;
  message.set_type(proto::raft::MSG_APPEND);
  message.set_to(to.value());
  message.set_index(prev.value());
  message.set_log_term(prev_term->value());
  message.set_commit(log_.committed().value());
  const LogIndex last = entries->empty() ? prev : LogIndex(entries->back().index());
  for (proto::raft::Entry& entry : *entries) *message.add_entries() = std::move(entry);
  progress.sent(last);
  send(std::move(message));
  return true;
}

void Raft::send_heartbeat(NodeId to, const std::string& context) {
  // The commit index sent is what the follower is known to have, so it never commits past its
  // own log (etcd's rule).
  const Progress& progress = progress_.at(to);
  Message message;
  message.set_type(proto::raft::MSG_HEARTBEAT);
  message.set_to(to.value());
  message.set_commit(std::min(progress.match(), log_.committed()).value());
  message.set_context(context);
  send(std::move(message));
}

void Raft::send_timeout_now(NodeId to) {
  Message message;
  message.set_type(proto::raft::MSG_TIMEOUT_NOW);
  message.set_to(to.value());
  send(std::move(message));
}

void Raft::broadcast_append() {
  for (const auto& [id, progress] : progress_) {
    if (id != id_) send_append(id);
  }
}

void Raft::broadcast_heartbeat() {
  const std::string context =
      pending_reads_.empty() ? std::string() : pending_reads_.back().context;
  for (const auto& [id, progress] : progress_) {
    if (id != id_) send_heartbeat(id, context);
  }
}

bool Raft::maybe_commit() {
  std::vector<LogIndex> matches;
  matches.reserve(voters_.size());
  for (NodeId voter : voters_) {
    const auto it = progress_.find(voter);
    matches.push_back(it == progress_.end() ? LogIndex(0) : it->second.match());
  }
  if (matches.empty()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<>());
  const LogIndex candidate = matches[quorum() - 1];
  // §5.4.2: only entries of the current term commit by counting replicas.
  if (candidate <= log_.committed() || log_.term(candidate) != term_) return false;
  log_.commit_to(candidate);
  return true;
}

void Raft::append_entries(std::vector<proto::raft::Entry> entries) {
  LogIndex index = log_.last_index();
  for (proto::raft::Entry& entry : entries) {
    entry.set_term(term_.value());
    entry.set_index((++index).value());
  }
  if (config_.cost != nullptr) config_.cost->charge(Work::kRaftEntry, entries.size());
  const LogIndex last = log_.append(std::move(entries));
  progress_.at(id_).maybe_update(last);
  maybe_commit();
}

Status Raft::propose(std::vector<proto::raft::Entry> entries) {
  if (role_ != Role::kLeader) {
    if (role_ == Role::kFollower && leader_ != kNoNode) {
      Message forward;
      forward.set_type(proto::raft::MSG_PROPOSE);
      forward.set_to(leader_.value());
      for (proto::raft::Entry& entry : entries) *forward.add_entries() = std::move(entry);
      send(std::move(forward));
      return Status::ok();
    }
    return Status::not_leader("not the leader, and no leader is known");
  }
  if (progress_.find(id_) == progress_.end()) {
    return Status::not_leader("this node was removed from the configuration");
  }
  if (lead_transferee_ != kNoNode) {
    return Status::unavailable("leadership transfer to " +
                               std::to_string(lead_transferee_.value()) + " in progress");
  }
  for (proto::raft::Entry& entry : entries) {
    if (entry.type() != proto::raft::ENTRY_TYPE_CONF_CHANGE) continue;
    if (pending_conf_index_ > log_.applied()) {
      // One membership change at a time: refuse (rather than silently drop) a second one.
      return Status::failed_precondition("a configuration change is pending until index " +
                                         std::to_string(pending_conf_index_.value()) + " applies");
    }
    pending_conf_index_ = log_.last_index() + 1;
  }
  append_entries(std::move(entries));
  // Sent when the host next collects a Ready, so that proposals made together travel together
  // (one append per follower instead of one per proposal).
  broadcast_pending_ = true;
  return Status::ok();
}

void Raft::flush() {
  if (!broadcast_pending_) return;
  broadcast_pending_ = false;
  if (role_ == Role::kLeader) broadcast_append();
}

Status Raft::transfer_leadership(NodeId to) {
  if (role_ != Role::kLeader) return Status::not_leader("only the leader can transfer leadership");
  if (to == id_) return Status::ok();
  if (voters_.count(to) == 0) {
    return Status::invalid_argument("cannot transfer leadership to " + std::to_string(to.value()) +
                                    ": not a voter");
  }
  if (lead_transferee_ == to) return Status::ok();
  lead_transferee_ = to;
  election_elapsed_ = 0;  // the transfer must finish within an election timeout
  if (progress_.at(to).match() == log_.last_index()) {
    send_timeout_now(to);
  } else {
    send_append(to);
  }
  return Status::ok();
}

Status Raft::read_index(std::string context) {
  if (role_ != Role::kLeader) {
    if (leader_ == kNoNode) return Status::not_leader("no leader to confirm a read with");
    Message message;
    message.set_type(proto::raft::MSG_READ_INDEX);
    message.set_to(leader_.value());
    message.set_context(std::move(context));
    send(std::move(message));
    return Status::ok();
  }
  if (log_.term(log_.committed()) != term_) {
    return Status::unavailable("the leader has not committed an entry in its term yet");
  }
  pending_reads_.push_back(ReadRequest{log_.committed(), context, kNoNode, {id_}});
  if (pending_reads_.back().acks.size() >= quorum()) {
    release_reads(context);
  } else {
    broadcast_heartbeat();  // §6.4: confirm leadership with a round of heartbeats
  }
  return Status::ok();
}

void Raft::release_reads(const std::string& context) {
  std::size_t count = 0;
  for (; count < pending_reads_.size(); ++count) {
    if (pending_reads_[count].context == context) {
      ++count;
      break;
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    ReadRequest& request = pending_reads_[i];
    if (request.requester == kNoNode || request.requester == id_) {
      read_states_.push_back(ReadState{request.index, request.context});
    } else {
      Message message;
      message.set_type(proto::raft::MSG_READ_INDEX_RESPONSE);
      message.set_to(request.requester.value());
      message.set_index(request.index.value());
      message.set_context(request.context);
      send(std::move(message));
    }
  }
  pending_reads_.erase(pending_reads_.begin(),
                       pending_reads_.begin() + static_cast<std::ptrdiff_t>(count));
}

proto::raft::ConfState Raft::apply_conf_change(const proto::raft::ConfChange& change) {
  const NodeId id(change.node_id());
  if (id != kNoNode) {
    switch (change.type()) {
      case proto::raft::CONF_CHANGE_ADD_VOTER:
        add_node(id, false);
        break;
      case proto::raft::CONF_CHANGE_ADD_LEARNER:
        add_node(id, true);
        break;
      case proto::raft::CONF_CHANGE_REMOVE_NODE:
        remove_node(id);
        break;
      default:
        break;
    }
  }
  if (role_ == Role::kLeader) {
    if (!promotable()) {
      // A leader removed from (or demoted out of) the voters steps down.
      become_follower(term_, kNoNode);
    } else {
      if (lead_transferee_ != kNoNode && voters_.count(lead_transferee_) == 0) abort_transfer();
      // The quorum may be smaller now: entries may commit.
      if (maybe_commit()) broadcast_append();
    }
  }
  return conf_state();
}

void Raft::report_unreachable(NodeId peer) {
  const auto it = progress_.find(peer);
  if (role_ == Role::kLeader && it != progress_.end() &&
      it->second.state() == ProgressState::kReplicate) {
    it->second.become_probe();
  }
}

void Raft::report_snapshot(NodeId peer, bool succeeded) {
  const auto it = progress_.find(peer);
  if (role_ != Role::kLeader || it == progress_.end() ||
      it->second.state() != ProgressState::kSnapshot) {
    return;
  }
  // Either way probe next: on success from past the snapshot, and the follower's append
  // responses move it to replicate; on failure from its match, and a new snapshot may follow.
  if (!succeeded) it->second.abort_snapshot();
  it->second.become_probe();
}

RaftStatus Raft::status() const {
  RaftStatus status;
  status.id = id_;
  status.role = role_;
  status.term = term_;
  status.vote = vote_;
  status.leader = leader_;
  status.commit = log_.committed();
  status.applied = log_.applied();
  status.last_index = log_.last_index();
  status.lead_transferee = lead_transferee_;
  status.voters.assign(voters_.begin(), voters_.end());
  status.learners.assign(learners_.begin(), learners_.end());
  if (role_ == Role::kLeader) {
    for (const auto& [id, progress] : progress_) {
      status.progress[id] =
          PeerStatus{progress.match(),    progress.next(),          progress.state(),
                     progress.inflight(), progress.recent_active(), progress.learner()};
    }
  }
  return status;
}

}  // namespace herd::raft
