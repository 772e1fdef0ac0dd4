#include "core/raft/progress.h"

#include <string_view>

namespace herd::raft {

std::string_view progress_state_name(ProgressState state) {
  switch (state) {
    case ProgressState::kProbe:
      return "probe";
    case ProgressState::kReplicate:
      return "replicate";
    case ProgressState::kSnapshot:
      return "snapshot";
  }
  return "unknown";
}

bool Progress::paused() const {
  switch (state_) {
    case ProgressState::kProbe:
      return probe_sent_;
    case ProgressState::kReplicate:
      return inflight_.size() >= max_inflight_;
    case ProgressState::kSnapshot:
      return true;
  }
  return true;
}

void Progress::become_probe() {
  if (state_ == ProgressState::kSnapshot) {
    next_ = std::max(match_ + 1, pending_snapshot_ + 1);
    pending_snapshot_ = LogIndex(0);
  } else {
    next_ = match_ + 1;
  }
  state_ = ProgressState::kProbe;
  probe_sent_ = false;
  inflight_.clear();
}

void Progress::become_replicate() {
  state_ = ProgressState::kReplicate;
  next_ = match_ + 1;
  probe_sent_ = false;
  inflight_.clear();
}

void Progress::become_snapshot(LogIndex snapshot_index) {
  state_ = ProgressState::kSnapshot;
  pending_snapshot_ = snapshot_index;
  probe_sent_ = false;
  inflight_.clear();
}

bool Progress::maybe_update(LogIndex index) {
  bool updated = false;
  if (match_ < index) {
    match_ = index;
    updated = true;
    probe_sent_ = false;
  }
  next_ = std::max(next_, index + 1);
  while (!inflight_.empty() && inflight_.front() <= index) inflight_.pop_front();
  return updated;
}

void Progress::optimistic_update(LogIndex last) { next_ = last + 1; }

bool Progress::maybe_decrease_to(LogIndex rejected, LogIndex hint) {
  if (state_ == ProgressState::kReplicate) {
    // A stale rejection of something already matched, or of an older message.
    if (rejected <= match_) return false;
    next_ = match_ + 1;
    return true;
  }
  if (next_ - 1 != rejected) return false;  // not the probe we sent last
  next_ = std::max(std::min(rejected, hint + 1), LogIndex(1));
  probe_sent_ = false;
  return true;
}

void Progress::sent(LogIndex last) {
  if (state_ == ProgressState::kReplicate) {
    if (last > LogIndex(0)) {
      optimistic_update(last);
      inflight_.push_back(last);
    }
  } else if (state_ == ProgressState::kProbe) {
    probe_sent_ = true;
  }
}

void Progress::on_heartbeat_response() {
  probe_sent_ = false;
  if (state_ == ProgressState::kReplicate && inflight_.size() >= max_inflight_)
    inflight_.pop_front();
}

}  // namespace herd::raft
