#include "core/raft/raft_log.h"

#include "core/runtime/check.h"

namespace herd::raft {

RaftLog::RaftLog(const LogStorage& storage) : storage_(storage) {
  offset_ = storage_.last_index() + 1;
  committed_ = storage_.first_index() - 1;
  applied_ = storage_.first_index() - 1;
}

LogIndex RaftLog::first_index() const {
  if (pending_snapshot_) return LogIndex(pending_snapshot_->metadata().index() + 1);
  return storage_.first_index();
}

LogIndex RaftLog::last_index() const {
  if (!unstable_.empty()) return offset_ + (unstable_.size() - 1);
  if (pending_snapshot_) return LogIndex(pending_snapshot_->metadata().index());
  return storage_.last_index();
}

Term RaftLog::last_term() const { return term(last_index()).value_or(Term(0)); }

std::optional<Term> RaftLog::term(LogIndex index) const {
  if (!unstable_.empty() && index >= offset_ && index < offset_ + unstable_.size()) {
    return Term(unstable_[index - offset_].term());
  }
  if (pending_snapshot_) {
    if (index.value() == pending_snapshot_->metadata().index()) {
      return Term(pending_snapshot_->metadata().term());
    }
    if (index.value() < pending_snapshot_->metadata().index()) return std::nullopt;
    return std::nullopt;  // past the snapshot, and not in unstable: does not exist
  }
  if (index > last_index()) return std::nullopt;
  Result<Term> stored = storage_.term(index);
  if (!stored.ok()) {
    // Index 0 (or the compacted dummy) has the snapshot's term.
    if (index.value() == storage_.snapshot().metadata().index()) {
      return Term(storage_.snapshot().metadata().term());
    }
    return std::nullopt;
  }
  return *stored;
}

bool RaftLog::matches(LogIndex index, Term t) const {
  const std::optional<Term> found = term(index);
  return found && *found == t;
}

bool RaftLog::is_up_to_date(LogIndex index, Term t) const {
  return t > last_term() || (t == last_term() && index >= last_index());
}

void RaftLog::commit_to(LogIndex index) {
  if (index <= committed_) return;
  HERD_CHECK(index <= last_index())
      << "commit " << index << " past the last index " << last_index();
  committed_ = index;
}

void RaftLog::applied_to(LogIndex index) {
  if (index == LogIndex(0)) return;
  HERD_CHECK(index <= committed_ && index >= applied_)
      << "applied " << index << " outside [" << applied_ << ", " << committed_ << "]";
  applied_ = index;
}

LogIndex RaftLog::first_index_of_term_before(LogIndex index, Term t) const {
  LogIndex i = index;
  while (i > first_index()) {
    const std::optional<Term> previous = term(i - 1);
    if (!previous || *previous != t) break;
    --i;
  }
  return i;
}

std::optional<LogIndex> RaftLog::maybe_append(
    LogIndex prev_index, Term prev_term, LogIndex commit,
    const google::protobuf::RepeatedPtrField<proto::raft::Entry>& entries) {
  if (!matches(prev_index, prev_term)) return std::nullopt;
  const LogIndex new_last = prev_index + static_cast<std::uint64_t>(entries.size());
  // Find the first entry that is new or conflicts (§5.3: delete the conflicting suffix).
  int first_new = entries.size();
  for (int i = 0; i < entries.size(); ++i) {
    const LogIndex index(entries[i].index());
    const std::optional<Term> existing = term(index);
    if (!existing || *existing != Term(entries[i].term())) {
      HERD_CHECK(index > committed_) << "entry " << index << " conflicts with a committed entry";
      first_new = i;
      break;
    }
  }
  if (first_new < entries.size()) {
    truncate_and_append({entries.begin() + first_new, entries.end()});
  }
  commit_to(std::min(commit, new_last));
  return new_last;
}

LogIndex RaftLog::append(std::vector<proto::raft::Entry> entries) {
  if (entries.empty()) return last_index();
  HERD_CHECK(LogIndex(entries.front().index()) > committed_) << "append below the commit index";
  truncate_and_append(std::move(entries));
  return last_index();
}

void RaftLog::truncate_and_append(std::vector<proto::raft::Entry> entries) {
  const LogIndex after(entries.front().index());
  if (after == offset_ + unstable_.size()) {
    // Directly after the unstable entries.
  } else if (after <= offset_) {
    // Replaces every unstable entry (and, for the host, stable ones from `after` on).
    offset_ = after;
    unstable_.clear();
  } else {
    unstable_.resize(after - offset_);
  }
  for (proto::raft::Entry& entry : entries) unstable_.push_back(std::move(entry));
}

Result<std::vector<proto::raft::Entry>> RaftLog::slice(LogIndex lo, LogIndex hi,
                                                       std::uint64_t max_bytes) const {
  std::vector<proto::raft::Entry> out;
  if (lo >= hi) return out;
  if (lo < first_index()) return Status::aborted("compacted: index " + std::to_string(lo.value()));
  std::uint64_t bytes = 0;
  if (lo < offset_) {
    const LogIndex stored_hi = std::min(hi, offset_);
    HERD_ASSIGN_OR_RETURN(out, storage_.entries(lo, stored_hi, max_bytes));
    for (const proto::raft::Entry& entry : out) bytes += entry_size(entry);
    if (LogIndex(out.back().index()) + 1 < stored_hi) return out;  // hit the size limit
  }
  for (LogIndex i = std::max(lo, offset_); i < hi; ++i) {
    const proto::raft::Entry& entry = unstable_[i - offset_];
    bytes += entry_size(entry);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(entry);
  }
  return out;
}

bool RaftLog::has_next_committed_entries() const {
  return committed_ > applied_ && applied_ + 1 >= first_index();
}

std::vector<proto::raft::Entry> RaftLog::next_committed_entries(std::uint64_t max_bytes) const {
  if (!has_next_committed_entries()) return {};
  Result<std::vector<proto::raft::Entry>> entries = slice(applied_ + 1, committed_ + 1, max_bytes);
  HERD_CHECK(entries.ok()) << "committed entries unavailable: " << entries.status();
  return std::move(entries).value();
}

void RaftLog::stable_to(LogIndex index, Term t) {
  if (unstable_.empty() || index < offset_ || index >= offset_ + unstable_.size()) return;
  if (Term(unstable_[index - offset_].term()) != t) return;  // replaced meanwhile
  unstable_.erase(unstable_.begin(),
                  unstable_.begin() + static_cast<std::ptrdiff_t>(index - offset_ + 1));
  offset_ = index + 1;
}

void RaftLog::stable_snapshot_to(LogIndex index) {
  if (pending_snapshot_ && pending_snapshot_->metadata().index() == index.value()) {
    pending_snapshot_.reset();
  }
}

void RaftLog::restore(const proto::raft::Snapshot& snapshot) {
  const LogIndex index(snapshot.metadata().index());
  committed_ = index;
  unstable_.clear();
  offset_ = index + 1;
  pending_snapshot_ = snapshot;
}

const proto::raft::Snapshot& RaftLog::snapshot() const {
  return pending_snapshot_ ? *pending_snapshot_ : storage_.snapshot();
}

}  // namespace herd::raft
