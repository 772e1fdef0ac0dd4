// Progress: the leader's view of one follower's log, and the flow control that paces what it
// sends (etcd raft's tracker).
//
// A follower is probed (one append at a time until its match index is known), replicated to
// (appends streamed optimistically, at most `max_inflight` unacknowledged messages), or sent a
// snapshot (nothing else until the snapshot is reported applied or failed). Deterministic.
#pragma once

#include <cstdint>
#include <deque>
#include <string_view>

#include "core/runtime/ids.h"

namespace herd::raft {

enum class ProgressState : std::uint8_t { kProbe, kReplicate, kSnapshot };

std::string_view progress_state_name(ProgressState state);

class Progress {
 public:
  Progress(LogIndex next, std::size_t max_inflight, bool learner)
      : next_(next), max_inflight_(max_inflight), learner_(learner) {}

  LogIndex match() const { return match_; }
  LogIndex next() const { return next_; }
  ProgressState state() const { return state_; }
  bool learner() const { return learner_; }
  void set_learner(bool learner) { learner_ = learner; }
  LogIndex pending_snapshot() const { return pending_snapshot_; }

  bool recent_active() const { return recent_active_; }
  void set_recent_active(bool active) { recent_active_ = active; }

  // Whether the leader should hold back appends to this follower now.
  bool paused() const;

  void become_probe();
  void become_replicate();
  void become_snapshot(LogIndex snapshot_index);
  // The snapshot was not applied: forget it, so probing restarts from the match index.
  void abort_snapshot() { pending_snapshot_ = LogIndex(0); }

  // An append response acknowledged `index`. Returns whether match advanced.
  bool maybe_update(LogIndex index);
  // Optimistically records that entries up to `last` were sent.
  void optimistic_update(LogIndex last);
  // A rejection of an append at `rejected` with the follower's hint; returns whether next moved.
  bool maybe_decrease_to(LogIndex rejected, LogIndex hint);

  // Flow control: one message sent carrying entries up to `last`.
  void sent(LogIndex last);
  // A heartbeat response frees the probe and one inflight slot when the window is full.
  void on_heartbeat_response();
  std::size_t inflight() const { return inflight_.size(); }

 private:
  LogIndex match_;
  LogIndex next_;
  ProgressState state_ = ProgressState::kProbe;
  std::size_t max_inflight_;
  bool learner_;
  bool recent_active_ = false;
  bool probe_sent_ = false;
  LogIndex pending_snapshot_;
  std::deque<LogIndex> inflight_;  // last index of each unacknowledged message
};

}  // namespace herd::raft
