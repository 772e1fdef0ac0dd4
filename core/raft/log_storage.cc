#include "core/raft/log_storage.h"

namespace herd::raft {

std::uint64_t entry_size(const proto::raft::Entry& entry) { return entry.ByteSizeLong(); }

MemoryLogStorage::MemoryLogStorage() { entries_.emplace_back(); }

InitialState MemoryLogStorage::initial_state() const {
  return InitialState{hard_state_, snapshot_.metadata().conf_state()};
}

LogIndex MemoryLogStorage::first_index() const { return LogIndex(entries_.front().index() + 1); }

LogIndex MemoryLogStorage::last_index() const {
  return LogIndex(entries_.front().index() + entries_.size() - 1);
}

std::size_t MemoryLogStorage::offset(LogIndex index) const {
  return static_cast<std::size_t>(index.value() - entries_.front().index());
}

Result<Term> MemoryLogStorage::term(LogIndex index) const {
  const LogIndex dummy(entries_.front().index());
  if (index < dummy) return Status::aborted("compacted: index " + std::to_string(index.value()));
  if (index > last_index()) {
    return Status::not_found("index " + std::to_string(index.value()) + " is past the end");
  }
  return Term(entries_[offset(index)].term());
}

Result<std::vector<proto::raft::Entry>> MemoryLogStorage::entries(LogIndex lo, LogIndex hi,
                                                                  std::uint64_t max_bytes) const {
  if (lo < first_index()) return Status::aborted("compacted: index " + std::to_string(lo.value()));
  if (hi > last_index() + 1) {
    return Status::not_found("entries up to " + std::to_string(hi.value()) + " are past the end");
  }
  std::vector<proto::raft::Entry> out;
  std::uint64_t bytes = 0;
  for (LogIndex i = lo; i < hi; ++i) {
    const proto::raft::Entry& entry = entries_[offset(i)];
    bytes += entry_size(entry);
    if (!out.empty() && bytes > max_bytes) break;
    out.push_back(entry);
  }
  return out;
}

Status MemoryLogStorage::append(const std::vector<proto::raft::Entry>& entries) {
  if (entries.empty()) return Status::ok();
  const LogIndex first(entries.front().index());
  if (first + entries.size() - 1 < first_index()) return Status::ok();  // all compacted already
  if (first > last_index() + 1) {
    return Status::failed_precondition("append at " + std::to_string(first.value()) +
                                       " leaves a gap after " +
                                       std::to_string(last_index().value()));
  }
  std::size_t skip = 0;
  if (first < first_index()) skip = static_cast<std::size_t>(first_index() - first);
  const LogIndex start = first + skip;
  entries_.resize(offset(start));
  for (std::size_t i = skip; i < entries.size(); ++i) entries_.push_back(entries[i]);
  return Status::ok();
}

Status MemoryLogStorage::apply_snapshot(proto::raft::Snapshot snapshot) {
  const LogIndex index(snapshot.metadata().index());
  if (index < LogIndex(snapshot_.metadata().index())) {
    return Status::failed_precondition("snapshot at " + std::to_string(index.value()) +
                                       " is older than the one held");
  }
  entries_.clear();
  proto::raft::Entry dummy;
  dummy.set_index(index.value());
  dummy.set_term(snapshot.metadata().term());
  entries_.push_back(std::move(dummy));
  snapshot_ = std::move(snapshot);
  return Status::ok();
}

Status MemoryLogStorage::create_snapshot(LogIndex index, const proto::raft::ConfState& conf_state,
                                         std::string data, std::uint64_t keep) {
  if (index <= LogIndex(snapshot_.metadata().index())) return Status::ok();
  if (index > last_index()) {
    return Status::failed_precondition("snapshot at " + std::to_string(index.value()) +
                                       " is past the last index " +
                                       std::to_string(last_index().value()));
  }
  proto::raft::Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(index.value());
  snapshot.mutable_metadata()->set_term(entries_[offset(index)].term());
  *snapshot.mutable_metadata()->mutable_conf_state() = conf_state;
  snapshot.set_data(std::move(data));
  snapshot_ = std::move(snapshot);
  // Compact: keep `keep` entries before the snapshot for followers that are slightly behind.
  const std::uint64_t compact_to = index.value() > keep ? index.value() - keep : 0;
  if (compact_to > entries_.front().index()) {
    const std::size_t drop = offset(LogIndex(compact_to));
    proto::raft::Entry dummy;
    dummy.set_index(compact_to);
    dummy.set_term(entries_[drop].term());
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(drop) + 1);
    entries_.insert(entries_.begin(), std::move(dummy));
  }
  return Status::ok();
}

}  // namespace herd::raft
