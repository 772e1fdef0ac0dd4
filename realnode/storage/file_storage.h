// FileStorage: the real Storage of realnode, a state directory of WAL segment files, a compaction
// floor and one snapshot, made durable with fsync.
//
// Every WAL record is one CRC-checked frame (core/codec/frame.h) whose payload is the record's
// sequence number (u64 little-endian) followed by the caller's bytes. Segments are named by
// their first sequence, zero-padded so they sort. append() only buffers; sync() writes the
// buffer and fdatasyncs the segment once (group commit). open() takes an exclusive flock on
// <dir>/LOCK, then recovers: a torn last record of the last segment is truncated with a warning,
// any other damage, gap or lost segment fails with corruption naming the file and offset.
// Not thread-safe: one thread (the node's event thread) makes every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/logger.h"
#include "core/runtime/storage.h"
#include "realnode/storage/posix_file.h"

namespace herd::realnode {

struct FileStorageOptions {
  // A segment is closed and a new one started once it holds this many bytes.
  std::size_t segment_bytes = 64 * 1024 * 1024;
  std::size_t max_record_bytes = 64 * 1024 * 1024;
  std::size_t max_snapshot_bytes = 1024 * 1024 * 1024;
};

class FileStorage final : public Storage {
 public:
  // Creates `dir` if needed, locks it and recovers the WAL. unavailable when another FileStorage
  // (in this process or another) has the directory; corruption when the WAL cannot be trusted.
  static Result<std::unique_ptr<FileStorage>> open(const std::string& dir, Logger& logger,
                                                   FileStorageOptions options = {});

  FileStorage(const FileStorage&) = delete;
  FileStorage& operator=(const FileStorage&) = delete;
  // Syncs what was appended (a clean shutdown loses nothing) and releases the lock.
  ~FileStorage() override;

  Result<std::uint64_t> append(std::string_view record) override;
  Status sync() override;
  // invalid_argument past the next sequence to be assigned: records not yet appended cannot
  // be dropped, and a floor ahead of them would hide them after a restart.
  Status compact(std::uint64_t sequence) override;
  Status save_snapshot(std::string_view snapshot) override;
  Result<std::optional<std::string>> load_snapshot() override;
  Result<std::vector<WalRecord>> read_wal() override;

  const std::string& dir() const { return dir_; }

 private:
  struct Segment {
    std::uint64_t first_sequence;
    std::string path;
  };
  enum class TornTail { kTruncate, kRefuse };

  FileStorage(std::string dir, Logger& logger, FileStorageOptions options);

  Status lock();
  Status remove_leftover_temp_files();
  Status load_floor();
  Status list_segments();
  Status remove_segments_below_floor();
  Status recover();
  // Reads every segment in order and checks its frames and sequence numbers; appends the
  // records at or above the floor to `records` when given. Returns the next sequence.
  Result<std::uint64_t> scan(TornTail torn_tail, std::vector<WalRecord>* records);
  Status truncate_torn_tail(const std::string& path, std::size_t valid_bytes,
                            std::size_t file_bytes);

  std::string segment_path(std::uint64_t first_sequence) const;
  // Writes the buffered records to the active segment, creating it first if there is none.
  Status flush();
  // Makes the full active segment durable and closes it; the next flush starts a new one.
  Status seal_active_segment();
  // Remembers an I/O failure: after a failed write or fsync the file's state is unknown, so
  // every later call reports the failure instead of appending after a possible hole.
  Status fail(Status status);

  std::string dir_;
  Logger* logger_;
  FileStorageOptions options_;
  UniqueFd dir_fd_;
  UniqueFd lock_fd_;

  std::vector<Segment> segments_;  // ascending; the last one is the one appended to
  UniqueFd active_fd_;             // open on segments_.back() unless it was sealed
  std::size_t active_bytes_ = 0;   // written to the active segment
  std::string buffer_;             // frames appended and not yet written
  std::uint64_t buffer_first_sequence_ = 0;
  std::string scratch_;  // one record's payload while it is framed
  bool unsynced_ = false;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t floor_ = 1;  // records below it were compacted away
  Status failed_;
};

}  // namespace herd::realnode
