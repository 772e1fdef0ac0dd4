// RaftLog: a node's view of its whole log — the stable entries in LogStorage, followed by
// entries (and possibly a snapshot) not yet persisted — plus the commit and applied indexes.
//
// Invariants: applied <= commit <= last_index; unstable entries start right after the stable
// ones (or after the unstable snapshot). Raft appends here; the host persists what
// unstable_entries() returns and then calls stable_to(). Deterministic; no I/O.
#pragma once

#include <optional>
#include <vector>

#include "core/raft/log_storage.h"

namespace herd::raft {

class RaftLog {
 public:
  explicit RaftLog(const LogStorage& storage);

  LogIndex first_index() const;
  LogIndex last_index() const;
  Term last_term() const;
  // The term of the entry at `index`, or nullopt when it is compacted or past the end.
  std::optional<Term> term(LogIndex index) const;
  bool matches(LogIndex index, Term term) const;
  // Whether a log ending at (last_index, last_term) is at least as up to date (§5.4.1).
  bool is_up_to_date(LogIndex index, Term term) const;

  LogIndex committed() const { return committed_; }
  LogIndex applied() const { return applied_; }
  void commit_to(LogIndex index);
  void applied_to(LogIndex index);

  // Appends entries that follow `prev`; entries that conflict with existing ones replace them.
  // Returns the new last index, or nullopt when (prev_index, prev_term) does not match.
  std::optional<LogIndex> maybe_append(
      LogIndex prev_index, Term prev_term, LogIndex commit,
      const google::protobuf::RepeatedPtrField<proto::raft::Entry>& entries);
  // Leader-side append of new entries at the end.
  LogIndex append(std::vector<proto::raft::Entry> entries);

  // [lo, hi) limited to max_bytes (always at least one entry). An error when compacted.
  Result<std::vector<proto::raft::Entry>> slice(LogIndex lo, LogIndex hi,
                                                std::uint64_t max_bytes) const;

  // The first index of the run of entries with the same term as `index` going back, for the
  // rejection hint (fast backtracking): the follower tells the leader where its term started.
  LogIndex first_index_of_term_before(LogIndex index, Term term) const;

  const std::vector<proto::raft::Entry>& unstable_entries() const { return unstable_; }
  const std::optional<proto::raft::Snapshot>& unstable_snapshot() const {
    return pending_snapshot_;
  }
  // Entries committed but not applied yet, up to max_bytes.
  std::vector<proto::raft::Entry> next_committed_entries(std::uint64_t max_bytes) const;
  bool has_next_committed_entries() const;

  void stable_to(LogIndex index, Term term);
  void stable_snapshot_to(LogIndex index);
  void restore(const proto::raft::Snapshot& snapshot);

  const proto::raft::Snapshot& snapshot() const;

 private:
  LogIndex unstable_offset() const { return offset_; }
  void truncate_and_append(std::vector<proto::raft::Entry> entries);

  const LogStorage& storage_;
  std::optional<proto::raft::Snapshot> pending_snapshot_;
  std::vector<proto::raft::Entry> unstable_;
  LogIndex offset_;  // index of unstable_[0]
  LogIndex committed_;
  LogIndex applied_;
};

}  // namespace herd::raft
