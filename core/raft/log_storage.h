// LogStorage: the stable part of a Raft node's log, its hard state and its latest snapshot.
//
// Raft reads from it and never writes it: the host appends what a Ready batch says to persist
// (after making it durable on its Storage) and compacts it after snapshots. Indexes and terms
// follow the paper: the first entry has index 1; a snapshot at index i replaces entries 1..i.
// entries(lo, hi) returns [lo, hi) limited to `max_bytes` (at least one entry); asking for
// compacted entries is `aborted` ("compacted"), for entries past the end `not_found`.
// MemoryLogStorage is the in-memory implementation; the durable hosts (simnet's and realnode's
// manager) keep one in memory and rebuild it from their WAL on restart. Deterministic.
#pragma once

#include <cstdint>
#include <vector>

#include "core/runtime/ids.h"
#include "core/runtime/result.h"
#include "proto/raft.pb.h"

namespace herd::raft {

struct InitialState {
  proto::raft::HardState hard_state;
  proto::raft::ConfState conf_state;
};

class LogStorage {
 public:
  virtual ~LogStorage() = default;

  virtual InitialState initial_state() const = 0;
  virtual Result<std::vector<proto::raft::Entry>> entries(LogIndex lo, LogIndex hi,
                                                          std::uint64_t max_bytes) const = 0;
  virtual Result<Term> term(LogIndex index) const = 0;
  // The index of the first entry that is not compacted (snapshot index + 1).
  virtual LogIndex first_index() const = 0;
  virtual LogIndex last_index() const = 0;
  virtual const proto::raft::Snapshot& snapshot() const = 0;
};

class MemoryLogStorage final : public LogStorage {
 public:
  MemoryLogStorage();

  InitialState initial_state() const override;
  Result<std::vector<proto::raft::Entry>> entries(LogIndex lo, LogIndex hi,
                                                  std::uint64_t max_bytes) const override;
  Result<Term> term(LogIndex index) const override;
  LogIndex first_index() const override;
  LogIndex last_index() const override;
  const proto::raft::Snapshot& snapshot() const override { return snapshot_; }

  void set_hard_state(const proto::raft::HardState& state) { hard_state_ = state; }
  // Appends entries, replacing any existing suffix from the first new index on.
  Status append(const std::vector<proto::raft::Entry>& entries);
  // Replaces the log with a snapshot (from the leader, or loaded at restart).
  Status apply_snapshot(proto::raft::Snapshot snapshot);
  // Records a snapshot of the applied state at `index` and drops entries before
  // index - `keep` (keep entries for slow followers, SwarmKit keeps 500).
  Status create_snapshot(LogIndex index, const proto::raft::ConfState& conf_state, std::string data,
                         std::uint64_t keep);

 private:
  std::size_t offset(LogIndex index) const;

  proto::raft::HardState hard_state_;
  proto::raft::Snapshot snapshot_;
  // entries_[0] is a dummy holding the index and term of the last compacted entry.
  std::vector<proto::raft::Entry> entries_;
};

// Encoded size of an entry, for message size limits.
std::uint64_t entry_size(const proto::raft::Entry& entry);

}  // namespace herd::raft
