#include "core/manager/manager_node.h"

#include <algorithm>

#include "core/codec/proto_codec.h"

namespace herd::manager {
namespace {

std::uint64_t hash_entry(const proto::raft::Entry& entry) {
  return stable_hash(entry.data(), entry.term() * 0x9E3779B97F4A7C15ULL + entry.index());
}

}  // namespace

ManagerNode::ManagerNode(Env& env, ManagerConfig config)
    : env_(env),
      config_(std::move(config)),
      leader_rng_(env.rng.fork("leader")),
      store_(&env.cost),
      tick_timer_(env.clock),
      flush_timer_(env.clock) {}

ManagerNode::~ManagerNode() {
  fail_pending(Status::unavailable("manager stopped"));
  leader_.reset();
  for (const auto& [id, forwarded] : forwarded_) env_.clock.cancel(forwarded.timeout);
}

void ManagerNode::later(std::function<void()> callback) {
  env_.clock.schedule_after(Duration::zero(), std::move(callback));
}

Status ManagerNode::recover() {
  Result<std::optional<std::string>> snapshot_bytes = env_.storage.load_snapshot();
  if (!snapshot_bytes.ok()) return snapshot_bytes.status().with_context("loading the snapshot");
  if (snapshot_bytes->has_value()) {
    proto::SnapshotFile file;
    HERD_RETURN_IF_ERROR(codec::decode_message(**snapshot_bytes, file, "snapshot file"));
    proto::StoreSnapshot content;
    HERD_RETURN_IF_ERROR(codec::decode_message(file.snapshot().data(), content, "store snapshot"));
    HERD_RETURN_IF_ERROR(store_.restore(content));
    HERD_RETURN_IF_ERROR(log_.apply_snapshot(file.snapshot()));
    snapshot_index_ = LogIndex(file.snapshot().metadata().index());
    learn_member_addresses();
  }
  Result<std::vector<WalRecord>> records = env_.storage.read_wal();
  if (!records.ok()) return records.status().with_context("reading the WAL");
  proto::raft::HardState hard_state;
  for (const WalRecord& record : *records) {
    proto::WalRecord wal;
    HERD_RETURN_IF_ERROR(
        codec::decode_message(record.data, wal, "WAL record " + std::to_string(record.sequence)));
    switch (wal.record_case()) {
      case proto::WalRecord::kHardState:
        hard_state = wal.hard_state();
        break;
      case proto::WalRecord::kEntry: {
        if (LogIndex(wal.entry().index()) <= snapshot_index_) break;
        HERD_RETURN_IF_ERROR(log_.append({wal.entry()}));
        entry_sequence_[LogIndex(wal.entry().index())] = record.sequence;
        break;
      }
      default:
        break;
    }
  }
  if (hard_state.commit() > log_.last_index().value()) {
    return Status::corruption("WAL commit index " + std::to_string(hard_state.commit()) +
                              " is past the last entry " +
                              std::to_string(log_.last_index().value()));
  }
  log_.set_hard_state(hard_state);
  return Status::ok();
}

Status ManagerNode::start() {
  HERD_RETURN_IF_ERROR(recover());
  raft::RaftConfig raft_config;
  raft_config.id = config_.id;
  raft_config.election_tick = config_.election_tick;
  raft_config.heartbeat_tick = config_.heartbeat_tick;
  raft_config.rng = &env_.rng;
  raft_config.cost = &env_.cost;
  raft_ = std::make_unique<raft::RawNode>(raft_config, log_);
  if (config_.bootstrap && log_.last_index() == LogIndex(0) && snapshot_index_ == LogIndex(0)) {
    HERD_RETURN_IF_ERROR(raft_->bootstrap({config_.id}));
    member_addrs_[config_.id] = config_.addr;
  }
  // The only voter needs no one's vote: lead at once instead of after an election timeout
  // (10-20 s at the default tick), as `swarm init` does.
  if (raft_->status().voters == std::vector<NodeId>{config_.id}) raft_->campaign();
  env_.logger.info(
      "manager.started",
      {{"id", config_.id}, {"last_index", log_.last_index()}, {"snapshot", snapshot_index_}});
  process_ready();
  tick_timer_.arm(config_.tick, [this] { on_tick(); });
  return Status::ok();
}

void ManagerNode::set_observer(ManagerObserver* observer) {
  observer_ = observer;
  if (observer_ != nullptr && was_leader_) {
    observer_->on_leadership(config_.id, raft_->term(), true);
  }
}

void ManagerNode::on_tick() {
  tick_timer_.arm(config_.tick, [this] { on_tick(); });
  raft_->tick();
  process_ready();
}

// ---------------------------------------------------------------- proposals

void ManagerNode::propose(proto::StoreTransaction transaction, Proposer::Done done) {
  if (!raft_ || !raft_->is_leader()) {
    later([done = std::move(done), leader = leader_id()] {
      done(Status::not_leader("not the leader; the leader is " + std::to_string(leader.value())));
    });
    return;
  }
  const std::uint64_t id = next_transaction_++;
  ++proposals_;
  transaction.set_id(id);
  transaction.set_proposer(config_.id.value());
  batch_bytes_ += transaction.ByteSizeLong();
  batch_.push_back(std::move(transaction));
  in_flight_.emplace(id, std::move(done));
  if (batch_bytes_ >= config_.max_batch_bytes) {
    flush_proposals();
  } else {
    schedule_flush();
  }
}

void ManagerNode::schedule_flush() {
  // Everything proposed while handling the current event goes out together.
  if (!flush_timer_.armed()) flush_timer_.arm(Duration::zero(), [this] { flush_proposals(); });
}

void ManagerNode::flush_proposals() {
  flush_timer_.cancel();
  if (batch_.empty()) return;
  proto::StoreBatch batch;
  for (proto::StoreTransaction& transaction : batch_)
    *batch.add_transactions() = std::move(transaction);
  std::vector<std::uint64_t> ids;
  for (const auto& transaction : batch.transactions()) ids.push_back(transaction.id());
  batch_.clear();
  batch_bytes_ = 0;
  const std::string bytes = codec::encode_message(batch);
  env_.cost.charge(Work::kCodecByte, bytes.size());
  const Status status = raft_->propose(bytes);
  if (!status.is_ok()) {
    for (std::uint64_t id : ids) {
      const auto it = in_flight_.find(id);
      if (it == in_flight_.end()) continue;
      Proposer::Done done = std::move(it->second);
      in_flight_.erase(it);
      later([done = std::move(done), status] { done(status); });
    }
  }
  process_ready();
}

void ManagerNode::fail_pending(const Status& status) {
  std::map<std::uint64_t, Proposer::Done> pending;
  pending.swap(in_flight_);
  batch_.clear();
  batch_bytes_ = 0;
  for (auto& [id, done] : pending) done(status);
  std::map<NodeId, RaftMembership::Done> changes;
  changes.swap(membership_in_flight_);
  for (auto& [member, done] : changes) done(status);
}

// ---------------------------------------------------------------- the Ready loop

Status ManagerNode::persist(const raft::Ready& ready) {
  if (ready.snapshot) {
    proto::SnapshotFile file;
    *file.mutable_snapshot() = *ready.snapshot;
    HERD_RETURN_IF_ERROR(env_.storage.save_snapshot(codec::encode_message(file)));
    HERD_RETURN_IF_ERROR(log_.apply_snapshot(*ready.snapshot));
  }
  for (const proto::raft::Entry& entry : ready.entries) {
    proto::WalRecord record;
    *record.mutable_entry() = entry;
    const std::string bytes = codec::encode_message(record);
    env_.cost.charge(Work::kCodecByte, bytes.size());
    HERD_ASSIGN_OR_RETURN(const std::uint64_t sequence, env_.storage.append(bytes));
    entry_sequence_[LogIndex(entry.index())] = sequence;
  }
  if (ready.hard_state) {
    proto::WalRecord record;
    *record.mutable_hard_state() = *ready.hard_state;
    HERD_RETURN_IF_ERROR(env_.storage.append(codec::encode_message(record)).status());
  }
  if (ready.must_sync || ready.snapshot || ready.hard_state)
    HERD_RETURN_IF_ERROR(env_.storage.sync());
  HERD_RETURN_IF_ERROR(log_.append(ready.entries));
  if (ready.hard_state) log_.set_hard_state(*ready.hard_state);
  return Status::ok();
}

void ManagerNode::process_ready() {
  // Applying entries wakes watchers that propose, which would re-enter here: the outer loop
  // picks their work up instead, so each Ready is handled exactly once and in order.
  if (!raft_ || in_ready_) return;
  in_ready_ = true;
  std::vector<std::function<void()>> callbacks;
  while (raft_->has_ready()) {
    raft::Ready ready = raft_->ready();
    if (Status status = persist(ready); !status.is_ok()) {
      // A manager that cannot persist must not vote or acknowledge: stop here, loudly.
      env_.logger.error("manager.persist_failed", {{"error", status.to_string()}});
      HERD_CHECK(false) << "manager " << config_.id << " cannot persist its Raft state: " << status;
    }
    for (proto::raft::Message& message : ready.messages) {
      const NodeId to(message.to());
      const bool snapshot = message.type() == proto::raft::MSG_SNAPSHOT;
      const std::string bytes = codec::encode_message(message);
      env_.cost.charge(Work::kCodecByte, bytes.size());
      proto::Envelope envelope;
      envelope.set_source(config_.id.value());
      envelope.set_destination(to.value());
      envelope.set_kind(proto::MESSAGE_KIND_RAFT);
      envelope.set_payload(bytes);
      const Status sent = env_.transport.send(to, codec::encode_message(envelope));
      if (!sent.is_ok()) raft_->report_unreachable(to);
      if (snapshot) raft_->report_snapshot(to, sent.is_ok());
    }
    if (ready.snapshot) apply_snapshot(*ready.snapshot);
    for (const proto::raft::Entry& entry : ready.committed_entries) apply_entry(entry, callbacks);
    raft_->advance(ready);
    if (ready.soft_state) leadership_changed();
  }
  maybe_snapshot();
  in_ready_ = false;
  for (auto& callback : callbacks) callback();
  // Callbacks may have proposed or changed membership.
  if (raft_->has_ready()) process_ready();
}

void ManagerNode::apply_snapshot(const proto::raft::Snapshot& snapshot) {
  proto::StoreSnapshot content;
  Status status = codec::decode_message(snapshot.data(), content, "store snapshot from the leader");
  if (status.is_ok()) status = store_.restore(content);
  HERD_CHECK(status.is_ok()) << "a committed snapshot cannot be applied: " << status;
  snapshot_index_ = LogIndex(snapshot.metadata().index());
  learn_member_addresses();
  env_.logger.info("manager.snapshot_installed", {{"index", snapshot_index_}});
}

void ManagerNode::learn_member_addresses() {
  // The configuration changes that carried the members' addresses are compacted into the
  // snapshot; the managers' Node objects still say where each Raft member listens.
  for (const auto& [id, node] : store_.table<proto::Node>().all()) {
    const proto::ManagerStatus& status = node.manager_status();
    if (status.raft_id() == 0 || status.addr().empty()) continue;
    const NodeId member(status.raft_id());
    member_addrs_[member] = status.addr();
    if (member != config_.id) env_.transport.set_peer_address(member, status.addr());
  }
}

void ManagerNode::apply_entry(const proto::raft::Entry& entry,
                              std::vector<std::function<void()>>& callbacks) {
  if (observer_ != nullptr) {
    observer_->on_applied(config_.id, LogIndex(entry.index()), Term(entry.term()),
                          hash_entry(entry));
  }
  if (entry.type() == proto::raft::ENTRY_TYPE_CONF_CHANGE) {
    proto::raft::ConfChange change;
    if (!change.ParseFromString(entry.data())) {
      env_.logger.error("manager.bad_conf_change", {{"index", entry.index()}});
      return;
    }
    raft_->apply_conf_change(change);
    const NodeId member(change.node_id());
    if (change.type() == proto::raft::CONF_CHANGE_REMOVE_NODE) {
      member_addrs_.erase(member);
    } else if (!change.context().empty()) {
      member_addrs_[member] = change.context();
      if (member != config_.id) env_.transport.set_peer_address(member, change.context());
    }
    const auto waiting = membership_in_flight_.find(member);
    if (waiting != membership_in_flight_.end()) {
      callbacks.push_back([done = std::move(waiting->second)] { done(Status::ok()); });
      membership_in_flight_.erase(waiting);
    }
    env_.logger.info("manager.membership_changed",
                     {{"member", member}, {"voters", raft_->status().voters.size()}});
    return;
  }
  if (entry.data().empty()) return;  // a new leader's no-op
  proto::StoreBatch batch;
  env_.cost.charge(Work::kCodecByte, entry.data().size());
  if (Status status = codec::decode_message(entry.data(), batch, "store batch"); !status.is_ok()) {
    env_.logger.error("manager.bad_entry",
                      {{"index", entry.index()}, {"error", status.to_string()}});
    return;
  }
  for (proto::StoreTransaction& transaction : *batch.mutable_transactions()) {
    const std::uint64_t id = transaction.id();
    const NodeId proposer(transaction.proposer());
    const Status status = store_.apply(std::move(transaction));
    if (proposer != config_.id) continue;
    const auto waiting = in_flight_.find(id);
    if (waiting == in_flight_.end()) continue;
    callbacks.push_back([done = std::move(waiting->second), status] { done(status); });
    in_flight_.erase(waiting);
  }
}

void ManagerNode::maybe_snapshot() {
  const LogIndex applied = raft_->status().applied;
  if (applied < snapshot_index_ + config_.snapshot_interval) return;
  const proto::StoreSnapshot content = store_.snapshot();
  std::string data = codec::encode_message(content);
  const std::uint64_t keep = config_.keep_entries_after_snapshot;
  if (Status status = log_.create_snapshot(applied, raft_->conf_state(), data, keep);
      !status.is_ok()) {
    env_.logger.error("manager.snapshot_failed", {{"error", status.to_string()}});
    return;
  }
  proto::SnapshotFile file;
  *file.mutable_snapshot() = log_.snapshot();
  Status status = env_.storage.save_snapshot(codec::encode_message(file));
  // The WAL keeps the hard state and the entries after the snapshot.
  proto::WalRecord hard_state;
  *hard_state.mutable_hard_state() = log_.initial_state().hard_state;
  if (!pinned_record_.empty()) (void)env_.storage.append(pinned_record_);
  Result<std::uint64_t> hard_state_sequence =
      env_.storage.append(codec::encode_message(hard_state));
  if (status.is_ok() && hard_state_sequence.ok()) status = env_.storage.sync();
  if (!status.is_ok() || !hard_state_sequence.ok()) {
    env_.logger.error("manager.snapshot_failed", {{"error", status.to_string()}});
    return;
  }
  std::uint64_t compact_to = *hard_state_sequence - (pinned_record_.empty() ? 0 : 1);
  for (auto it = entry_sequence_.upper_bound(applied); it != entry_sequence_.end(); ++it) {
    compact_to = std::min(compact_to, it->second);
  }
  entry_sequence_.erase(entry_sequence_.begin(), entry_sequence_.upper_bound(applied));
  (void)env_.storage.compact(compact_to);
  snapshot_index_ = applied;
  ++snapshots_taken_;
  env_.logger.info("manager.snapshot", {{"index", applied}, {"bytes", data.size()}});
}

std::vector<proto::ManagerPeer> ManagerNode::manager_peers() const {
  std::vector<proto::ManagerPeer> peers;
  for (NodeId voter : voters()) {
    proto::ManagerPeer& peer = peers.emplace_back();
    peer.set_node_id(voter.value());
    const auto addr = member_addrs_.find(voter);
    if (addr != member_addrs_.end()) peer.set_addr(addr->second);
  }
  return peers;
}

void ManagerNode::leadership_changed() {
  const bool leading = raft_->is_leader();
  if (leading == was_leader_) return;
  was_leader_ = leading;
  ++leadership_changes_;
  if (observer_ != nullptr) observer_->on_leadership(config_.id, raft_->term(), leading);
  if (leading) {
    env_.logger.info("manager.leader", {{"term", raft_->term()}});
    context_ = std::make_unique<LeaderContext>(
        LeaderContext{store_, *this, env_.clock, leader_rng_, env_.cost, env_.logger, this});
    leader_ = std::make_unique<Leader>(*context_, this, [this] { return manager_peers(); });
    return;
  }
  env_.logger.info("manager.follower", {{"term", raft_->term()}, {"leader", raft_->leader()}});
  // Outstanding writes can no longer be confirmed here; components are told before they die.
  fail_pending(Status::not_leader("leadership lost"));
  leader_.reset();
  context_.reset();
}

// ---------------------------------------------------------------- messages

void ManagerNode::send_envelope(NodeId to, proto::MessageKind kind, const std::string& payload) {
  proto::Envelope envelope;
  envelope.set_source(config_.id.value());
  envelope.set_destination(to.value());
  envelope.set_kind(kind);
  envelope.set_payload(payload);
  (void)env_.transport.send(to, codec::encode_message(envelope));
}

void ManagerNode::send(NodeId to, const proto::SessionMessage& message) {
  send_envelope(to, proto::MESSAGE_KIND_SESSION, codec::encode_message(message));
}

void ManagerNode::on_envelope(NodeId from, const proto::Envelope& envelope) {
  switch (envelope.kind()) {
    case proto::MESSAGE_KIND_RAFT: {
      proto::raft::Message message;
      if (!codec::decode_message(envelope.payload(), message, "raft message").is_ok()) return;
      env_.cost.charge(Work::kCodecByte, envelope.payload().size());
      (void)raft_->step(message);
      process_ready();
      return;
    }
    case proto::MESSAGE_KIND_SESSION: {
      proto::SessionMessage message;
      if (!codec::decode_message(envelope.payload(), message, "session message").is_ok()) return;
      if (leader_ != nullptr && leader_->dispatcher() != nullptr) {
        leader_->dispatcher()->handle(from, message);
      } else {
        proto::SessionMessage reply;
        proto::SessionRejected* rejected = reply.mutable_rejected();
        rejected->set_code("not_leader");
        rejected->set_message("manager " + std::to_string(config_.id.value()) +
                              " is not the leader");
        rejected->set_leader(leader_id().value());
        // A node joining through this follower learns where the leader is.
        for (proto::ManagerPeer& peer : manager_peers())
          *rejected->add_managers() = std::move(peer);
        send(from, reply);
      }
      return;
    }
    case proto::MESSAGE_KIND_CONTROL_REQUEST:
    case proto::MESSAGE_KIND_CONTROL_RESPONSE: {
      proto::ForwardedControl forwarded;
      if (!codec::decode_message(envelope.payload(), forwarded, "forwarded control").is_ok())
        return;
      handle_forwarded(from, forwarded, envelope.kind() == proto::MESSAGE_KIND_CONTROL_RESPONSE);
      return;
    }
    default:
      return;
  }
}

void ManagerNode::handle_forwarded(NodeId from, const proto::ForwardedControl& forwarded,
                                   bool response) {
  if (response) {
    const auto it = forwarded_.find(forwarded.request_id());
    if (it == forwarded_.end()) return;
    Reply reply = std::move(it->second.reply);
    env_.clock.cancel(it->second.timeout);
    forwarded_.erase(it);
    reply(forwarded.response());
    return;
  }
  // A follower's client request: serve it here, or refuse when we are not the leader (yet).
  const std::uint64_t id = forwarded.request_id();
  control(forwarded.request(), [this, from, id](proto::ControlResponse answer) {
    proto::ForwardedControl back;
    back.set_request_id(id);
    *back.mutable_response() = std::move(answer);
    send_envelope(from, proto::MESSAGE_KIND_CONTROL_RESPONSE, codec::encode_message(back));
  });
}

void ManagerNode::control(const proto::ControlRequest& request, Reply reply) {
  if (leader_ != nullptr) {
    leader_->control_api().handle(request, std::move(reply));
    return;
  }
  const NodeId leader = leader_id();
  if (leader == kNoNode || leader == config_.id) {
    reply(ControlApi::error_response(Status::unavailable("no leader is known; retry shortly")));
    return;
  }
  if (down_peers_.contains(leader)) {
    reply(ControlApi::error_response(Status::unavailable(
        "the leader " + std::to_string(leader.value()) + " is unreachable; retry shortly")));
    return;
  }
  const std::uint64_t id = next_forward_++;
  const TimerId timeout = env_.clock.schedule_after(config_.forward_timeout, [this, id] {
    const auto it = forwarded_.find(id);
    if (it == forwarded_.end()) return;
    Reply late = std::move(it->second.reply);
    forwarded_.erase(it);
    late(ControlApi::error_response(Status::unavailable("the leader did not answer in time")));
  });
  forwarded_.emplace(id, Forwarded{std::move(reply), timeout, leader});
  proto::ForwardedControl forwarded;
  forwarded.set_request_id(id);
  *forwarded.mutable_request() = request;
  send_envelope(leader, proto::MESSAGE_KIND_CONTROL_REQUEST, codec::encode_message(forwarded));
}

void ManagerNode::on_peer_up(NodeId peer) { down_peers_.erase(peer); }

void ManagerNode::on_peer_down(NodeId peer) {
  down_peers_.insert(peer);
  // Requests forwarded to a leader that went away will never be answered: say so now rather
  // than after the forward timeout, so that clients retry against the next leader.
  std::vector<Reply> lost;
  for (auto it = forwarded_.begin(); it != forwarded_.end();) {
    if (it->second.to != peer) {
      ++it;
      continue;
    }
    env_.clock.cancel(it->second.timeout);
    lost.push_back(std::move(it->second.reply));
    it = forwarded_.erase(it);
  }
  for (Reply& reply : lost) {
    reply(ControlApi::error_response(Status::unavailable(
        "the leader " + std::to_string(peer.value()) + " went away; retry shortly")));
  }
  if (raft_) {
    raft_->report_unreachable(peer);
    raft_->report_snapshot(peer, false);
  }
}

// ---------------------------------------------------------------- membership

std::vector<NodeId> ManagerNode::voters() const { return raft_->status().voters; }

bool ManagerNode::reachable(NodeId member) const {
  if (member == config_.id) return true;
  if (down_peers_.count(member) != 0) return false;
  const raft::RaftStatus status = raft_->status();
  const auto progress = status.progress.find(member);
  return progress == status.progress.end() || progress->second.recent_active;
}

void ManagerNode::add_voter(NodeId member, const std::string& addr, RaftMembership::Done done) {
  proto::raft::ConfChange change;
  change.set_type(proto::raft::CONF_CHANGE_ADD_VOTER);
  change.set_node_id(member.value());
  change.set_context(addr);
  env_.transport.set_peer_address(member, addr);
  const Status status = raft_->propose_conf_change(change);
  if (!status.is_ok()) {
    later([done = std::move(done), status] { done(status); });
    return;
  }
  membership_in_flight_[member] = std::move(done);
  process_ready();
}

void ManagerNode::remove_member(NodeId member, RaftMembership::Done done) {
  const std::vector<NodeId> current = voters();
  if (std::find(current.begin(), current.end(), member) == current.end()) {
    later([done = std::move(done), member] {
      done(Status::not_found("node " + std::to_string(member.value()) + " is not a Raft member"));
    });
    return;
  }
  proto::raft::ConfChange change;
  change.set_type(proto::raft::CONF_CHANGE_REMOVE_NODE);
  change.set_node_id(member.value());
  const Status status = raft_->propose_conf_change(change);
  if (!status.is_ok()) {
    later([done = std::move(done), status] { done(status); });
    return;
  }
  membership_in_flight_[member] = std::move(done);
  process_ready();
}

void ManagerNode::transfer_leadership(NodeId to) {
  if (raft_->transfer_leadership(to).is_ok()) process_ready();
}

}  // namespace herd::manager
