#include "core/raft/raw_node.h"

namespace herd::raft {
namespace {

bool same(const proto::raft::HardState& a, const proto::raft::HardState& b) {
  return a.term() == b.term() && a.vote() == b.vote() && a.commit() == b.commit();
}

}  // namespace

RawNode::RawNode(const RaftConfig& config, const LogStorage& storage)
    : raft_(config, storage),
      previous_soft_(raft_.soft_state()),
      previous_hard_(raft_.hard_state()) {}

Status RawNode::step(const proto::raft::Message& message) {
  // Local-only message types never arrive from the network.
  if (message.type() == proto::raft::MESSAGE_TYPE_UNSPECIFIED) {
    return Status::invalid_argument("raft message of unspecified type");
  }
  if (message.to() != 0 && NodeId(message.to()) != raft_.id()) {
    return Status::invalid_argument("raft message for node " + std::to_string(message.to()) +
                                    " delivered to " + std::to_string(raft_.id().value()));
  }
  return raft_.step(message);
}

Status RawNode::propose(std::string data) {
  proto::raft::Entry entry;
  entry.set_type(proto::raft::ENTRY_TYPE_NORMAL);
  entry.set_data(std::move(data));
  return raft_.propose({std::move(entry)});
}

Status RawNode::propose_conf_change(const proto::raft::ConfChange& change) {
  if (change.node_id() == 0)
    return Status::invalid_argument("configuration change without a node id");
  proto::raft::Entry entry;
  entry.set_type(proto::raft::ENTRY_TYPE_CONF_CHANGE);
  entry.set_data(change.SerializeAsString());
  return raft_.propose({std::move(entry)});
}

bool RawNode::has_ready() const {
  const RaftLog& log = raft_.log();
  return !(raft_.soft_state() == previous_soft_) || !same(raft_.hard_state(), previous_hard_) ||
         !log.unstable_entries().empty() || log.unstable_snapshot().has_value() ||
         log.has_next_committed_entries() || raft_.has_messages() || raft_.has_read_states();
}

Ready RawNode::ready() {
  raft_.flush();
  Ready ready;
  const SoftState soft = raft_.soft_state();
  if (!(soft == previous_soft_)) ready.soft_state = soft;
  const proto::raft::HardState hard = raft_.hard_state();
  if (!same(hard, previous_hard_)) ready.hard_state = hard;
  RaftLog& log = raft_.log();
  ready.entries = log.unstable_entries();
  if (log.unstable_snapshot()) ready.snapshot = *log.unstable_snapshot();
  ready.committed_entries = log.next_committed_entries(128 * 1024 * 1024);
  ready.messages = raft_.take_messages();
  ready.read_states = raft_.take_read_states();
  ready.must_sync =
      !ready.entries.empty() || (ready.hard_state && (hard.term() != previous_hard_.term() ||
                                                      hard.vote() != previous_hard_.vote()));
  return ready;
}

void RawNode::advance(const Ready& ready) {
  if (ready.soft_state) previous_soft_ = *ready.soft_state;
  if (ready.hard_state) previous_hard_ = *ready.hard_state;
  RaftLog& log = raft_.log();
  if (!ready.entries.empty()) {
    log.stable_to(LogIndex(ready.entries.back().index()), Term(ready.entries.back().term()));
  }
  if (ready.snapshot) {
    const LogIndex index(ready.snapshot->metadata().index());
    log.stable_snapshot_to(index);
    log.applied_to(index);
  }
  if (!ready.committed_entries.empty()) {
    log.applied_to(LogIndex(ready.committed_entries.back().index()));
  }
}

}  // namespace herd::raft
