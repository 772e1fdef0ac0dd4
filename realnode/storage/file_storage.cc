#include "realnode/storage/file_storage.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <system_error>
#include <utility>

#include "core/codec/frame.h"
#include "core/codec/record_log.h"

namespace herd::realnode {
namespace {

constexpr std::string_view kLockFile = "LOCK";
constexpr std::string_view kFloorFile = "wal-floor";
constexpr std::string_view kSnapshotFile = "snapshot";
constexpr std::string_view kSegmentPrefix = "wal-";
constexpr std::string_view kSegmentSuffix = ".log";
constexpr std::size_t kSequenceDigits = 20;  // enough for any u64
constexpr std::size_t kSequenceBytes = 8;
// Appended records are written (not synced) once this many bytes wait, so a caller that appends
// a lot between syncs does not hold it all in memory.
constexpr std::size_t kWriteThroughBytes = 1024 * 1024;

void put_u64(char* out, std::uint64_t value) {
  for (std::size_t i = 0; i < kSequenceBytes; ++i)
    out[i] = static_cast<char>((value >> (8 * i)) & 0xFFU);
}

std::uint64_t get_u64(std::string_view in) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < kSequenceBytes; ++i)
    value |= static_cast<std::uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return value;
}

std::string encode_sequence(std::uint64_t sequence) {
  std::string bytes(kSequenceBytes, '\0');
  put_u64(bytes.data(), sequence);
  return bytes;
}

// The first sequence of a segment named "wal-<20 digits>.log", nullopt for any other name.
std::optional<std::uint64_t> parse_segment_name(std::string_view name) {
  if (name.size() != kSegmentPrefix.size() + kSequenceDigits + kSegmentSuffix.size() ||
      !name.starts_with(kSegmentPrefix) || !name.ends_with(kSegmentSuffix)) {
    return std::nullopt;
  }
  const std::string_view digits = name.substr(kSegmentPrefix.size(), kSequenceDigits);
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  std::uint64_t sequence = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return sequence;
}

}  // namespace

Result<std::unique_ptr<FileStorage>> FileStorage::open(const std::string& dir, Logger& logger,
                                                       FileStorageOptions options) {
  if (options.segment_bytes == 0) {
    return Status::invalid_argument("FileStorage segment_bytes must be positive");
  }
  if (options.max_record_bytes > UINT32_MAX - kSequenceBytes ||
      options.max_snapshot_bytes > UINT32_MAX) {
    return Status::invalid_argument("FileStorage record and snapshot limits must fit a frame (" +
                                    std::to_string(UINT32_MAX) + " bytes)");
  }
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Status::io_error("create directory " + dir + ": " + error.message());

  std::unique_ptr<FileStorage> storage(new FileStorage(dir, logger, options));
  HERD_ASSIGN_OR_RETURN(storage->dir_fd_, open_file(dir, O_RDONLY | O_DIRECTORY));
  HERD_RETURN_IF_ERROR(storage->lock());
  HERD_RETURN_IF_ERROR(storage->remove_leftover_temp_files());
  HERD_RETURN_IF_ERROR(storage->load_floor());
  HERD_RETURN_IF_ERROR(storage->list_segments());
  HERD_RETURN_IF_ERROR(storage->remove_segments_below_floor());
  HERD_RETURN_IF_ERROR(storage->recover());
  logger.info("storage.opened", {{"dir", dir},
                                 {"segments", storage->segments_.size()},
                                 {"next_sequence", storage->next_sequence_},
                                 {"floor", storage->floor_}});
  return storage;
}

FileStorage::FileStorage(std::string dir, Logger& logger, FileStorageOptions options)
    : dir_(std::move(dir)), logger_(&logger), options_(options) {}

FileStorage::~FileStorage() {
  if (Status status = sync(); !status.is_ok()) {
    logger_->error("storage.close_sync_failed", {{"dir", dir_}, {"error", status.to_string()}});
  }
}

// ---------------------------------------------------------------- opening and recovery

Status FileStorage::lock() {
  const std::string path = dir_ + "/" + std::string(kLockFile);
  HERD_ASSIGN_OR_RETURN(lock_fd_, open_file(path, O_RDWR | O_CREAT));
  // flock, not fcntl locks: an flock belongs to the open file description, so a second open in
  // this same process conflicts too, and closing some other descriptor of the file keeps it.
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return io_error_from_errno("flock", path, errno);
    std::string holder = "unknown";
    Result<std::optional<std::string>> content = read_whole_file(path);
    if (content.ok() && content->has_value() && !(*content)->empty()) {
      holder = **content;
      while (!holder.empty() && holder.back() == '\n') holder.pop_back();
    }
    return Status::unavailable("state directory " + dir_ + " is in use by process " + holder +
                               " (it holds the lock on " + path + ")");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(lock_fd_.get(), 0) != 0) return io_error_from_errno("truncate", path, errno);
  if (::pwrite(lock_fd_.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return io_error_from_errno("write", path, errno);
  }
  return Status::ok();
}

Status FileStorage::remove_leftover_temp_files() {
  // A crash between writing a temp file and renaming it leaves the old file intact beside it.
  for (const std::string_view name : {kSnapshotFile, kFloorFile}) {
    const std::string path = dir_ + "/" + std::string(name) + ".tmp";
    if (::unlink(path.c_str()) == 0) {
      logger_->info("storage.removed_temp_file", {{"file", path}});
    } else if (errno != ENOENT) {
      return io_error_from_errno("unlink", path, errno);
    }
  }
  return Status::ok();
}

Status FileStorage::load_floor() {
  const std::string path = dir_ + "/" + std::string(kFloorFile);
  HERD_ASSIGN_OR_RETURN(const std::optional<std::string> bytes, read_whole_file(path));
  if (!bytes) return Status::ok();
  Result<std::optional<codec::FrameView>> frame = codec::decode_frame(*bytes, kSequenceBytes);
  if (!frame.ok()) {
    return Status::corruption("WAL floor file " + path +
                              " is damaged: " + frame.status().message());
  }
  if (!frame->has_value() || (*frame)->size != bytes->size() ||
      (*frame)->payload.size() != kSequenceBytes) {
    return Status::corruption(
        "WAL floor file " + path + " is damaged: " + std::to_string(bytes->size()) +
        " bytes where one " + std::to_string(codec::kFrameHeaderSize + kSequenceBytes) +
        "-byte frame was expected");
  }
  floor_ = get_u64((*frame)->payload);
  return Status::ok();
}

Status FileStorage::list_segments() {
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir_, error), end; !error && it != end;
       it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (const std::optional<std::uint64_t> first = parse_segment_name(name)) {
      segments_.push_back(Segment{*first, dir_ + "/" + name});
    }
  }
  if (error) return Status::io_error("list directory " + dir_ + ": " + error.message());
  std::sort(segments_.begin(), segments_.end(),
            [](const Segment& a, const Segment& b) { return a.first_sequence < b.first_sequence; });
  return Status::ok();
}

Status FileStorage::remove_segments_below_floor() {
  // Segment i holds sequences [first_i, first_{i+1}), so it is dead once first_{i+1} <= floor.
  // The last segment always stays: its name carries the next sequence when it is empty.
  std::size_t removed = 0;
  while (segments_.size() - removed > 1 && segments_[removed + 1].first_sequence <= floor_) {
    const std::string& path = segments_[removed].path;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(removed));
      return io_error_from_errno("unlink", path, errno);
    }
    logger_->debug("storage.removed_segment", {{"file", path}, {"floor", floor_}});
    ++removed;
  }
  if (removed == 0) return Status::ok();
  segments_.erase(segments_.begin(), segments_.begin() + static_cast<std::ptrdiff_t>(removed));
  return sync_everything(dir_fd_.get(), dir_);
}

Status FileStorage::recover() {
  if (segments_.empty()) {
    if (floor_ > 1) {
      return Status::corruption("WAL floor file in " + dir_ + " says records before " +
                                std::to_string(floor_) +
                                " were compacted, but no WAL segment holds the records after them");
    }
    return Status::ok();
  }
  if (segments_.front().first_sequence > floor_) {
    return Status::corruption(
        "the first WAL segment " + segments_.front().path + " starts at sequence " +
        std::to_string(segments_.front().first_sequence) + " but the records from " +
        std::to_string(floor_) + " on were never compacted: a segment is missing");
  }
  HERD_ASSIGN_OR_RETURN(next_sequence_, scan(TornTail::kTruncate, nullptr));
  if (next_sequence_ < floor_) {
    // compact() syncs before it moves the floor, so this takes a disk that lost synced data.
    return Status::corruption("the WAL in " + dir_ + " ends at sequence " +
                              std::to_string(next_sequence_ - 1) + " but the compaction floor is " +
                              std::to_string(floor_) + ": synced records were lost");
  }
  const std::string& path = segments_.back().path;
  HERD_ASSIGN_OR_RETURN(active_fd_, open_file(path, O_WRONLY | O_APPEND));
  const off_t size = ::lseek(active_fd_.get(), 0, SEEK_END);
  if (size < 0) return io_error_from_errno("seek", path, errno);
  active_bytes_ = static_cast<std::size_t>(size);
  return Status::ok();
}

Result<std::uint64_t> FileStorage::scan(TornTail torn_tail, std::vector<WalRecord>* records) {
  if (segments_.empty()) return next_sequence_;
  std::uint64_t expected = segments_.front().first_sequence;
  for (std::size_t i = 0; i < segments_.size(); ++i) {
    const Segment& segment = segments_[i];
    const bool last = i + 1 == segments_.size();
    if (segment.first_sequence != expected) {
      return Status::corruption(
          "WAL segment " + segment.path + " starts at sequence " +
          std::to_string(segment.first_sequence) + " where " + std::to_string(expected) +
          " was expected (" +
          (segment.first_sequence > expected ? "records are missing" : "segments overlap") + ")");
    }
    HERD_ASSIGN_OR_RETURN(const std::optional<std::string> image, read_whole_file(segment.path));
    if (!image) return io_error_from_errno("open", segment.path, ENOENT);
    Result<codec::DecodedRecordLog> log =
        codec::decode_record_log(*image, options_.max_record_bytes + kSequenceBytes);
    if (!log.ok()) {
      return Status::corruption("WAL segment " + segment.path + ": " + log.status().message());
    }
    std::size_t offset = 0;
    for (const std::string_view payload : log->records) {
      if (payload.size() < kSequenceBytes) {
        return Status::corruption("WAL segment " + segment.path + ": record at offset " +
                                  std::to_string(offset) + " has " +
                                  std::to_string(payload.size()) +
                                  " bytes, too few to hold its sequence number");
      }
      const std::uint64_t sequence = get_u64(payload);
      if (sequence != expected) {
        return Status::corruption("WAL segment " + segment.path + ": record at offset " +
                                  std::to_string(offset) + " has sequence " +
                                  std::to_string(sequence) + " where " + std::to_string(expected) +
                                  " was expected");
      }
      if (records != nullptr && sequence >= floor_) {
        records->push_back(WalRecord{sequence, std::string(payload.substr(kSequenceBytes))});
      }
      ++expected;
      offset += codec::kFrameHeaderSize + payload.size();
    }
    if (!log->torn_tail) continue;
    // A segment is fdatasynced before the next one is created, so only the last can be torn.
    if (!last) {
      return Status::corruption("WAL segment " + segment.path + " is cut short at offset " +
                                std::to_string(log->valid_bytes) +
                                " (a damaged or partial record) and later segments follow it");
    }
    if (torn_tail == TornTail::kRefuse) {
      return Status::corruption("WAL segment " + segment.path +
                                " ends with a damaged or partial record at offset " +
                                std::to_string(log->valid_bytes));
    }
    HERD_RETURN_IF_ERROR(truncate_torn_tail(segment.path, log->valid_bytes, image->size()));
  }
  return expected;
}

Status FileStorage::truncate_torn_tail(const std::string& path, std::size_t valid_bytes,
                                       std::size_t file_bytes) {
  HERD_ASSIGN_OR_RETURN(const UniqueFd file, open_file(path, O_WRONLY));
  if (::ftruncate(file.get(), static_cast<off_t>(valid_bytes)) != 0) {
    return io_error_from_errno("truncate", path, errno);
  }
  HERD_RETURN_IF_ERROR(sync_data(file.get(), path));
  logger_->warning(
      "storage.torn_tail_truncated",
      {{"file", path}, {"offset", valid_bytes}, {"dropped_bytes", file_bytes - valid_bytes}});
  return Status::ok();
}

// ---------------------------------------------------------------- the WAL

std::string FileStorage::segment_path(std::uint64_t first_sequence) const {
  std::string digits = std::to_string(first_sequence);
  digits.insert(0, kSequenceDigits - digits.size(), '0');
  return dir_ + "/" + std::string(kSegmentPrefix) + digits + std::string(kSegmentSuffix);
}

Status FileStorage::fail(Status status) {
  failed_ = status;
  return status;
}

Status FileStorage::flush() {
  if (!failed_.is_ok()) return failed_;
  if (buffer_.empty()) return Status::ok();
  if (!active_fd_.valid()) {
    const std::string path = segment_path(buffer_first_sequence_);
    Result<UniqueFd> created = open_file(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND);
    if (!created.ok()) return fail(created.status());
    active_fd_ = std::move(created).value();
    active_bytes_ = 0;
    segments_.push_back(Segment{buffer_first_sequence_, path});
    // The new name must be durable before any record in the file is reported synced.
    if (Status status = sync_everything(dir_fd_.get(), dir_); !status.is_ok()) return fail(status);
  }
  if (Status status = write_fully(active_fd_.get(), buffer_, segments_.back().path);
      !status.is_ok()) {
    return fail(status);
  }
  active_bytes_ += buffer_.size();
  buffer_.clear();
  unsynced_ = true;
  return Status::ok();
}

Status FileStorage::seal_active_segment() {
  HERD_RETURN_IF_ERROR(flush());
  if (active_fd_.valid()) {
    if (Status status = sync_data(active_fd_.get(), segments_.back().path); !status.is_ok()) {
      return fail(status);
    }
    active_fd_.reset();
  }
  active_bytes_ = 0;
  unsynced_ = false;
  return Status::ok();
}

Result<std::uint64_t> FileStorage::append(std::string_view record) {
  if (!failed_.is_ok()) return failed_;
  if (record.size() > options_.max_record_bytes) {
    return Status::invalid_argument("WAL record of " + std::to_string(record.size()) +
                                    " bytes exceeds the limit of " +
                                    std::to_string(options_.max_record_bytes) + " (" + dir_ + ")");
  }
  if (active_bytes_ + buffer_.size() >= options_.segment_bytes) {
    HERD_RETURN_IF_ERROR(seal_active_segment());
  }
  const std::uint64_t sequence = next_sequence_++;
  if (buffer_.empty()) buffer_first_sequence_ = sequence;
  scratch_.resize(kSequenceBytes);
  put_u64(scratch_.data(), sequence);
  scratch_.append(record);
  codec::append_frame(buffer_, scratch_);
  if (buffer_.size() >= kWriteThroughBytes) HERD_RETURN_IF_ERROR(flush());
  return sequence;
}

Status FileStorage::sync() {
  HERD_RETURN_IF_ERROR(flush());
  if (!unsynced_) return Status::ok();
  if (Status status = sync_data(active_fd_.get(), segments_.back().path); !status.is_ok()) {
    return fail(status);
  }
  unsynced_ = false;
  return Status::ok();
}

Status FileStorage::compact(std::uint64_t sequence) {
  if (!failed_.is_ok()) return failed_;
  if (sequence > next_sequence_) {
    return Status::invalid_argument("cannot compact the WAL in " + dir_ + " to sequence " +
                                    std::to_string(sequence) + ": the next record will be " +
                                    std::to_string(next_sequence_));
  }
  if (sequence <= floor_) return Status::ok();
  // The floor must never be durable ahead of the records below it: after a crash, recovery
  // would number new records from the end of the surviving log, under the floor, and hide them.
  HERD_RETURN_IF_ERROR(sync());
  HERD_RETURN_IF_ERROR(replace_file_atomically(dir_fd_.get(), dir_, std::string(kFloorFile),
                                               codec::encode_frame(encode_sequence(sequence))));
  floor_ = sequence;
  return remove_segments_below_floor();
}

Result<std::vector<WalRecord>> FileStorage::read_wal() {
  // Buffered records are part of the log too; writing them lets one pass over the files serve.
  HERD_RETURN_IF_ERROR(flush());
  std::vector<WalRecord> records;
  HERD_ASSIGN_OR_RETURN(const std::uint64_t end, scan(TornTail::kRefuse, &records));
  if (end != next_sequence_) {
    return Status::corruption("the WAL in " + dir_ + " ends before sequence " +
                              std::to_string(end) + " where " + std::to_string(next_sequence_) +
                              " was expected: its files changed while it was open");
  }
  return records;
}

// ---------------------------------------------------------------- the snapshot

Status FileStorage::save_snapshot(std::string_view snapshot) {
  if (snapshot.size() > options_.max_snapshot_bytes) {
    return Status::invalid_argument(
        "snapshot of " + std::to_string(snapshot.size()) + " bytes exceeds the limit of " +
        std::to_string(options_.max_snapshot_bytes) + " (" + dir_ + ")");
  }
  return replace_file_atomically(dir_fd_.get(), dir_, std::string(kSnapshotFile),
                                 codec::encode_frame(snapshot));
}

Result<std::optional<std::string>> FileStorage::load_snapshot() {
  const std::string path = dir_ + "/" + std::string(kSnapshotFile);
  HERD_ASSIGN_OR_RETURN(std::optional<std::string> bytes, read_whole_file(path));
  if (!bytes) return std::optional<std::string>();
  Result<std::optional<codec::FrameView>> frame =
      codec::decode_frame(*bytes, options_.max_snapshot_bytes);
  if (!frame.ok()) {
    return Status::corruption("snapshot file " + path + " is damaged: " + frame.status().message());
  }
  if (!frame->has_value()) {
    return Status::corruption("snapshot file " + path + " is cut short: its " +
                              std::to_string(bytes->size()) + " bytes hold part of a frame");
  }
  if ((*frame)->size != bytes->size()) {
    return Status::corruption("snapshot file " + path + " has " +
                              std::to_string(bytes->size() - (*frame)->size) +
                              " bytes after its frame");
  }
  // Reuse the file's buffer: a snapshot can be large.
  std::string snapshot = std::move(*bytes);
  snapshot.erase(0, codec::kFrameHeaderSize);
  return std::optional<std::string>(std::move(snapshot));
}

}  // namespace herd::realnode
