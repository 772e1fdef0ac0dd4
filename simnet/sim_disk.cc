#include "simnet/sim_disk.h"

#include "core/codec/frame.h"
#include "core/codec/record_log.h"

namespace herd::simnet {
namespace {

constexpr std::size_t kMaxRecord = 256 * 1024 * 1024;

}  // namespace

Result<std::uint64_t> SimDisk::append(std::string_view record) {
  const std::size_t offset = image_.size();
  codec::append_frame(image_, record);
  const std::uint64_t sequence = next_sequence_++;
  records_.push_back(RecordInfo{sequence, offset, image_.size() - offset});
  return sequence;
}

Status SimDisk::sync() {
  ++syncs_;
  stall_ += sync_latency_;
  if (!fail_sync_) synced_ = image_.size();
  return Status::ok();
}

Status SimDisk::compact(std::uint64_t sequence) {
  std::size_t drop = 0;
  while (drop < records_.size() && records_[drop].sequence < sequence) ++drop;
  if (drop == 0) return Status::ok();
  const std::size_t bytes = drop < records_.size() ? records_[drop].offset : image_.size();
  image_.erase(0, bytes);
  synced_ = synced_ > bytes ? synced_ - bytes : 0;
  records_.erase(records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(drop));
  for (RecordInfo& info : records_) info.offset -= bytes;
  // A compacted WAL gives its memory back: simulated disks live in the process's RAM, and a
  // manager's image grows to every entry since its last snapshot.
  if (image_.capacity() > 2 * image_.size() + (1 << 20)) image_.shrink_to_fit();
  first_sequence_ = sequence;
  return Status::ok();
}

Status SimDisk::save_snapshot(std::string_view snapshot) {
  snapshot_ = std::string(snapshot);
  return Status::ok();
}

Result<std::optional<std::string>> SimDisk::load_snapshot() { return snapshot_; }

void SimDisk::crash() {
  image_.resize(synced_);
  while (!records_.empty() && records_.back().offset + records_.back().size > image_.size()) {
    // A record only partly synced survives as a torn fragment; recovery drops it.
    if (records_.back().offset < image_.size()) break;
    records_.pop_back();
  }
  if (tear_last_ && !records_.empty()) {
    const RecordInfo& last = records_.back();
    const std::size_t keep = last.offset + rng_.below(last.size);
    image_.resize(keep);
    synced_ = image_.size();
  }
  if (corrupt_older_ && records_.size() >= 2) {
    const RecordInfo& victim = records_[rng_.below(records_.size() - 1)];
    const std::size_t at =
        victim.offset + codec::kFrameHeaderSize +
        (victim.size > codec::kFrameHeaderSize ? rng_.below(victim.size - codec::kFrameHeaderSize)
                                               : 0);
    if (at < image_.size()) image_[at] = static_cast<char>(image_[at] ^ 0x5A);
  }
  fail_sync_ = tear_last_ = corrupt_older_ = false;
}

Result<std::vector<WalRecord>> SimDisk::read_wal() {
  HERD_ASSIGN_OR_RETURN(const codec::DecodedRecordLog log,
                        codec::decode_record_log(image_, kMaxRecord));
  // Rebuild the bookkeeping from what survived, as a restarted process would from its files.
  std::vector<WalRecord> out;
  std::vector<RecordInfo> kept;
  std::size_t offset = 0;
  for (std::size_t i = 0; i < log.records.size(); ++i) {
    const std::uint64_t sequence = first_sequence_ + i;
    const std::size_t size = codec::kFrameHeaderSize + log.records[i].size();
    out.push_back(WalRecord{sequence, std::string(log.records[i])});
    kept.push_back(RecordInfo{sequence, offset, size});
    offset += size;
  }
  image_.resize(log.valid_bytes);  // a torn tail is cut off, as realnode truncates its file
  synced_ = image_.size();
  records_ = std::move(kept);
  next_sequence_ = first_sequence_ + records_.size();
  return out;
}

}  // namespace herd::simnet
