// SimDisk: a host's simulated disk, implementing the Storage seam.
//
// The WAL is a byte image of CRC-checked frames (the same format as realnode's files) with a
// synced prefix. A crash keeps only the synced bytes — unless a fault says otherwise: with
// `fail_sync` armed, sync() reports success without making anything durable; `tear_last` cuts
// the last synced record short; `corrupt_older` flips a byte inside an older record. Recovery
// (read_wal) decodes the image with the shared record-log decoder, so a torn tail is dropped
// and mid-log corruption is an error, exactly as on a real disk. The snapshot is replaced
// atomically and is durable at once. A slow disk makes every sync stall the calling handler for
// the configured latency; the host turns the stall into busy time. Deterministic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/runtime/rng.h"
#include "core/runtime/storage.h"

namespace herd::simnet {

class SimDisk final : public Storage {
 public:
  explicit SimDisk(Rng rng) : rng_(std::move(rng)) {}

  Result<std::uint64_t> append(std::string_view record) override;
  Status sync() override;
  Status compact(std::uint64_t sequence) override;
  Status save_snapshot(std::string_view snapshot) override;
  Result<std::optional<std::string>> load_snapshot() override;
  Result<std::vector<WalRecord>> read_wal() override;

  // The host crashed: unsynced bytes are gone, and armed faults take effect.
  void crash();

  // Faults for the next crash (or, for fail_sync, from now until the crash).
  void arm_fail_sync() { fail_sync_ = true; }
  void arm_torn_last_record() { tear_last_ = true; }
  void arm_corrupt_older_record() { corrupt_older_ = true; }
  // disk.slow: each sync() from now on takes `latency` (zero restores a fast disk).
  void set_sync_latency(Duration latency) { sync_latency_ = latency; }

  // Stall accumulated by syncs since the last call; the host charges it as busy time.
  Duration take_stall() { return std::exchange(stall_, Duration::zero()); }

  std::size_t wal_bytes() const { return image_.size(); }
  std::size_t synced_bytes() const { return synced_; }
  std::uint64_t syncs() const { return syncs_; }

 private:
  struct RecordInfo {
    std::uint64_t sequence;
    std::size_t offset;  // of its frame in image_
    std::size_t size;    // of its frame
  };

  Rng rng_;
  std::string image_;
  std::size_t synced_ = 0;
  std::vector<RecordInfo> records_;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t first_sequence_ = 1;  // records before it were compacted away
  std::optional<std::string> snapshot_;
  bool fail_sync_ = false;
  bool tear_last_ = false;
  bool corrupt_older_ = false;
  std::uint64_t syncs_ = 0;
  Duration sync_latency_{0};
  Duration stall_{0};
};

}  // namespace herd::simnet
