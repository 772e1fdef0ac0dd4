#include "realnode/storage/file_storage.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "core/codec/frame.h"
#include "core/runtime/manual_clock.h"

namespace herd::realnode {
namespace {

namespace fs = std::filesystem;

class CollectingSink final : public LogSink {
 public:
  void write(const LogLine& line) override { lines.push_back(format_log_line(line)); }

  std::vector<std::string> warnings() const {
    std::vector<std::string> out;
    for (const std::string& line : lines)
      if (line.find("level=warning") != std::string::npos) out.push_back(line);
    return out;
  }

  std::vector<std::string> lines;
};

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// The size of the frame holding a record of `data_bytes`: header, sequence number, data.
std::size_t frame_bytes(std::size_t data_bytes) { return codec::kFrameHeaderSize + 8 + data_bytes; }

std::vector<std::string> data_of(const std::vector<WalRecord>& records) {
  std::vector<std::string> out;
  for (const WalRecord& record : records) out.push_back(record.data);
  return out;
}

std::vector<std::uint64_t> sequences_of(const std::vector<WalRecord>& records) {
  std::vector<std::uint64_t> out;
  for (const WalRecord& record : records) out.push_back(record.sequence);
  return out;
}

class FileStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/herd-file-storage-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    dir_ = (root_ / "state").string();
  }

  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<FileStorage> open(FileStorageOptions options = {}) {
    Result<std::unique_ptr<FileStorage>> storage = FileStorage::open(dir_, logger_, options);
    EXPECT_TRUE(storage.ok()) << storage.status();
    return storage.ok() ? std::move(storage).value() : nullptr;
  }

  Status open_status(FileStorageOptions options = {}) {
    return FileStorage::open(dir_, logger_, options).status();
  }

  // Appends `records` and syncs once.
  static void append_all(FileStorage& storage, const std::vector<std::string>& records) {
    for (const std::string& record : records) ASSERT_TRUE(storage.append(record).ok());
    ASSERT_TRUE(storage.sync().is_ok());
  }

  static std::vector<WalRecord> read_all(FileStorage& storage) {
    Result<std::vector<WalRecord>> records = storage.read_wal();
    EXPECT_TRUE(records.ok()) << records.status();
    return records.ok() ? *records : std::vector<WalRecord>();
  }

  // Runs `body` on a FileStorage of the state directory in a child process that then exits
  // without closing it, as a crash would. Returns the child's exit code, 0 when `body` succeeded.
  int run_then_crash(const std::function<bool(FileStorage&)>& body,
                     FileStorageOptions options = {}) {
    const pid_t child = ::fork();
    if (child < 0) return -1;
    if (child == 0) {
      // No gtest assertions in the child: it reports through its exit code.
      ManualClock clock;
      Logger quiet(clock, "child", nullptr);
      Result<std::unique_ptr<FileStorage>> storage = FileStorage::open(dir_, quiet, options);
      ::_exit(storage.ok() && body(**storage) ? 0 : 1);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) != child || !WIFEXITED(status)) return -1;
    return WEXITSTATUS(status);
  }

  std::vector<fs::path> segment_files() const {
    std::vector<fs::path> out;
    for (const fs::directory_entry& entry : fs::directory_iterator(dir_)) {
      const std::string name = entry.path().filename().string();
      if (name.starts_with("wal-") && name.ends_with(".log")) out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // Small segments so that a few records rotate.
  static FileStorageOptions small_segments() {
    FileStorageOptions options;
    options.segment_bytes = 256;
    return options;
  }

  static std::vector<std::string> numbered(int count) {
    std::vector<std::string> out;
    for (int i = 1; i <= count; ++i) out.push_back("record-" + std::to_string(100 + i));
    return out;
  }

  fs::path root_;
  std::string dir_;
  ManualClock clock_;
  CollectingSink sink_;
  Logger logger_{clock_, "n1", &sink_, LogLevel::kDebug};
};

TEST_F(FileStorageTest, RecordsRoundTripAcrossCloseAndReopen) {
  const std::vector<std::string> records = {"first", "", std::string("\0\xff\x01zero", 7),
                                            std::string(5000, 'x')};
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    append_all(*storage, records);
    EXPECT_EQ(sequences_of(read_all(*storage)), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  }
  auto storage = open();
  ASSERT_NE(storage, nullptr);
  const std::vector<WalRecord> read = read_all(*storage);
  EXPECT_EQ(data_of(read), records);
  EXPECT_EQ(sequences_of(read), (std::vector<std::uint64_t>{1, 2, 3, 4}));
  Result<std::optional<std::string>> snapshot = storage->load_snapshot();
  ASSERT_TRUE(snapshot.ok());
  EXPECT_FALSE(snapshot->has_value());
  EXPECT_TRUE(sink_.warnings().empty());
}

TEST_F(FileStorageTest, ReadWalIncludesRecordsAppendedSinceOpenAndNotYetSynced) {
  auto storage = open();
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(storage->append("a").ok());
  ASSERT_TRUE(storage->append("b").ok());
  EXPECT_EQ(data_of(read_all(*storage)), (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(storage->append("c").ok());
  EXPECT_EQ(data_of(read_all(*storage)), (std::vector<std::string>{"a", "b", "c"}));
}

TEST_F(FileStorageTest, SequencesContinueAfterReopen) {
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    append_all(*storage, {"a", "b"});
  }
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    Result<std::uint64_t> third = storage->append("c");
    ASSERT_TRUE(third.ok());
    EXPECT_EQ(*third, 3U);
    ASSERT_TRUE(storage->sync().is_ok());
  }
  auto storage = open();
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(sequences_of(read_all(*storage)), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST_F(FileStorageTest, RotationMakesSeveralSegmentsThatReadBackInOrder) {
  const std::vector<std::string> records = numbered(60);
  {
    auto storage = open(small_segments());
    ASSERT_NE(storage, nullptr);
    for (std::size_t i = 0; i < records.size(); i += 7) {
      const std::size_t end = std::min(records.size(), i + 7);
      append_all(*storage, std::vector<std::string>(records.begin() + static_cast<long>(i),
                                                    records.begin() + static_cast<long>(end)));
    }
  }
  const std::vector<fs::path> segments = segment_files();
  // 60 frames of 30 bytes, a new segment once 256 bytes are reached: 9 records per segment.
  EXPECT_EQ(segments.size(), 7U);
  for (const fs::path& segment : segments) EXPECT_LE(fs::file_size(segment), 256U + 30U);
  EXPECT_EQ(segments.front().filename(), "wal-00000000000000000001.log");
  EXPECT_EQ(segments[1].filename(), "wal-00000000000000000010.log");

  auto storage = open(small_segments());
  ASSERT_NE(storage, nullptr);
  const std::vector<WalRecord> read = read_all(*storage);
  EXPECT_EQ(data_of(read), records);
  ASSERT_EQ(read.size(), 60U);
  for (std::size_t i = 0; i < read.size(); ++i) EXPECT_EQ(read[i].sequence, i + 1);
}

TEST_F(FileStorageTest, CompactionDeletesOldSegmentsAndTheFloorSurvivesReopen) {
  {
    auto storage = open(small_segments());
    ASSERT_NE(storage, nullptr);
    append_all(*storage, numbered(60));
    ASSERT_TRUE(storage->compact(40).is_ok());
    // Segments start at 1, 10, 19, 28, 37, 46, 55: those ending before 40 are gone.
    const std::vector<fs::path> segments = segment_files();
    ASSERT_EQ(segments.size(), 3U);
    EXPECT_EQ(segments.front().filename(), "wal-00000000000000000037.log");
    const std::vector<WalRecord> read = read_all(*storage);
    ASSERT_EQ(read.size(), 21U);
    EXPECT_EQ(read.front().sequence, 40U);
    EXPECT_EQ(read.front().data, "record-140");
    // Compacting to an older point changes nothing.
    ASSERT_TRUE(storage->compact(20).is_ok());
    EXPECT_EQ(read_all(*storage).size(), 21U);
  }
  auto storage = open(small_segments());
  ASSERT_NE(storage, nullptr);
  const std::vector<WalRecord> read = read_all(*storage);
  ASSERT_EQ(read.size(), 21U);
  EXPECT_EQ(read.front().sequence, 40U);
  EXPECT_EQ(read.back().sequence, 60U);
  Result<std::uint64_t> next = storage->append("after");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(*next, 61U);
}

TEST_F(FileStorageTest, CompactingEverythingNeverReusesSequencesEvenAfterACrash) {
  // The last record is not synced when compaction moves the floor past it, and the process dies
  // right after: compaction must have made it durable, or the restart would number new records
  // from 31, under the floor.
  ASSERT_EQ(run_then_crash(
                [](FileStorage& storage) {
                  for (const std::string& record : numbered(30))
                    if (!storage.append(record).ok()) return false;
                  return storage.sync().is_ok() && storage.append("unsynced").ok() &&
                         storage.compact(32).is_ok();
                },
                small_segments()),
            0);
  EXPECT_EQ(segment_files().size(), 1U);
  {
    auto storage = open(small_segments());
    ASSERT_NE(storage, nullptr);
    EXPECT_TRUE(read_all(*storage).empty());
    Result<std::uint64_t> next = storage->append("next");
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, 32U);
    ASSERT_TRUE(storage->sync().is_ok());
  }
  auto storage = open(small_segments());
  ASSERT_NE(storage, nullptr);
  const std::vector<WalRecord> read = read_all(*storage);
  ASSERT_EQ(read.size(), 1U);
  EXPECT_EQ(read[0].sequence, 32U);
  EXPECT_EQ(read[0].data, "next");
}

TEST_F(FileStorageTest, CompactionPastTheNextSequenceIsRefused) {
  auto storage = open();
  ASSERT_NE(storage, nullptr);
  append_all(*storage, {"a", "b"});
  const Status status = storage->compact(4);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(read_all(*storage).size(), 2U);
}

TEST_F(FileStorageTest, SnapshotSurvivesReopenAndALeftoverTempFileIsRemoved) {
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    ASSERT_TRUE(storage->save_snapshot("one").is_ok());
    ASSERT_TRUE(storage->save_snapshot(std::string(100000, 's')).is_ok());
  }
  // A crash while the next snapshot was being written.
  write_bytes(fs::path(dir_) / "snapshot.tmp", "half a snaps");
  auto storage = open();
  ASSERT_NE(storage, nullptr);
  EXPECT_FALSE(fs::exists(fs::path(dir_) / "snapshot.tmp"));
  Result<std::optional<std::string>> snapshot = storage->load_snapshot();
  ASSERT_TRUE(snapshot.ok()) << snapshot.status();
  ASSERT_TRUE(snapshot->has_value());
  EXPECT_EQ(**snapshot, std::string(100000, 's'));
}

TEST_F(FileStorageTest, DamagedSnapshotIsCorruption) {
  const fs::path path = fs::path(dir_) / "snapshot";
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    ASSERT_TRUE(storage->save_snapshot("the cluster state").is_ok());
  }
  const std::string intact = read_bytes(path);
  std::string flipped = intact;
  flipped[codec::kFrameHeaderSize + 4] ^= 0x01;
  write_bytes(path, flipped);
  auto storage = open();
  ASSERT_NE(storage, nullptr);
  Result<std::optional<std::string>> snapshot = storage->load_snapshot();
  EXPECT_EQ(snapshot.status().code(), StatusCode::kCorruption) << snapshot.status();
  EXPECT_NE(snapshot.status().message().find(path.string()), std::string::npos);

  write_bytes(path, intact.substr(0, intact.size() - 3));
  EXPECT_EQ(storage->load_snapshot().status().code(), StatusCode::kCorruption);
  write_bytes(path, intact + "x");
  EXPECT_EQ(storage->load_snapshot().status().code(), StatusCode::kCorruption);
}

TEST_F(FileStorageTest, TornLastRecordIsTruncatedWithAWarningAndAppendsContinue) {
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    append_all(*storage, numbered(5));
  }
  const fs::path segment = segment_files().back();
  const std::size_t four_records = 4 * frame_bytes(10);
  fs::resize_file(segment, fs::file_size(segment) - 5);
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    const std::vector<std::string> warnings = sink_.warnings();
    ASSERT_EQ(warnings.size(), 1U);
    EXPECT_NE(warnings[0].find("file=" + segment.string()), std::string::npos) << warnings[0];
    EXPECT_NE(warnings[0].find("offset=" + std::to_string(four_records)), std::string::npos)
        << warnings[0];
    EXPECT_EQ(fs::file_size(segment), four_records);
    EXPECT_EQ(data_of(read_all(*storage)), numbered(4));
    Result<std::uint64_t> next = storage->append("again");
    ASSERT_TRUE(next.ok());
    EXPECT_EQ(*next, 5U);
    ASSERT_TRUE(storage->sync().is_ok());
  }
  sink_.lines.clear();
  auto storage = open();
  ASSERT_NE(storage, nullptr);
  EXPECT_TRUE(sink_.warnings().empty());
  const std::vector<WalRecord> read = read_all(*storage);
  ASSERT_EQ(read.size(), 5U);
  EXPECT_EQ(read.back().data, "again");
}

TEST_F(FileStorageTest, GarbageAfterTheLastRecordIsTruncatedWithAWarning) {
  {
    auto storage = open(small_segments());
    ASSERT_NE(storage, nullptr);
    append_all(*storage, numbered(20));
  }
  const fs::path segment = segment_files().back();
  const std::uintmax_t intact_size = fs::file_size(segment);
  {
    std::ofstream out(segment, std::ios::binary | std::ios::app);
    const char garbage[] = "\x13\x37\xde\xad\xbe\xef garbage from a crash \x01\x02";
    out.write(garbage, sizeof garbage - 1);
  }
  {
    auto storage = open(small_segments());
    ASSERT_NE(storage, nullptr);
    ASSERT_EQ(sink_.warnings().size(), 1U);
    EXPECT_NE(sink_.warnings()[0].find("offset=" + std::to_string(intact_size)), std::string::npos);
    EXPECT_EQ(data_of(read_all(*storage)), numbered(20));
    append_all(*storage, {"after garbage"});
  }
  sink_.lines.clear();
  auto storage = open(small_segments());
  ASSERT_NE(storage, nullptr);
  EXPECT_TRUE(sink_.warnings().empty());
  const std::vector<WalRecord> read = read_all(*storage);
  ASSERT_EQ(read.size(), 21U);
  EXPECT_EQ(read.back().sequence, 21U);
  EXPECT_EQ(read.back().data, "after garbage");
}

TEST_F(FileStorageTest, FlippedByteInAMiddleRecordIsCorruptionNamingFileAndOffset) {
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    append_all(*storage, numbered(5));
  }
  const fs::path segment = segment_files().back();
  std::string bytes = read_bytes(segment);
  const std::size_t third_record = 2 * frame_bytes(10);
  bytes[third_record + codec::kFrameHeaderSize + 8 + 3] ^= 0x20;
  write_bytes(segment, bytes);
  const Status status = open_status();
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status;
  EXPECT_NE(status.message().find(segment.string()), std::string::npos) << status;
  EXPECT_NE(status.message().find("offset " + std::to_string(third_record)), std::string::npos)
      << status;
  // Refusing must not have touched the file: nothing is lost until someone decides.
  EXPECT_EQ(read_bytes(segment), bytes);
}

TEST_F(FileStorageTest, DamagedRecordInAnEarlierSegmentIsCorruption) {
  {
    auto storage = open(small_segments());
    ASSERT_NE(storage, nullptr);
    append_all(*storage, numbered(30));
  }
  const fs::path first = segment_files().front();
  // The first segment's last record is cut short, as if its write had been torn.
  fs::resize_file(first, fs::file_size(first) - 4);
  const Status status = open_status(small_segments());
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status;
  EXPECT_NE(status.message().find(first.string()), std::string::npos) << status;
  EXPECT_TRUE(sink_.warnings().empty());
}

TEST_F(FileStorageTest, MissingSegmentIsCorruption) {
  {
    auto storage = open(small_segments());
    ASSERT_NE(storage, nullptr);
    append_all(*storage, numbered(30));
  }
  const std::vector<fs::path> segments = segment_files();
  ASSERT_GE(segments.size(), 3U);
  fs::remove(segments[1]);
  const Status gap = open_status(small_segments());
  EXPECT_EQ(gap.code(), StatusCode::kCorruption) << gap;
  EXPECT_NE(gap.message().find(segments[2].string()), std::string::npos) << gap;

  // Without the first segment, records from 1 on are missing too.
  fs::remove(segments[0]);
  EXPECT_EQ(open_status(small_segments()).code(), StatusCode::kCorruption);
}

TEST_F(FileStorageTest, RecordWithTheWrongSequenceIsCorruption) {
  {
    auto storage = open();
    ASSERT_NE(storage, nullptr);
    append_all(*storage, {"a", "b"});
  }
  // A well-formed frame claiming sequence 7 where 3 comes next.
  std::string payload(8, '\0');
  payload[0] = 7;
  payload += "c";
  const fs::path segment = segment_files().back();
  write_bytes(segment, read_bytes(segment) + codec::encode_frame(payload));
  const Status status = open_status();
  EXPECT_EQ(status.code(), StatusCode::kCorruption) << status;
  EXPECT_NE(status.message().find("sequence 7"), std::string::npos) << status;
}

TEST_F(FileStorageTest, SecondOpenOfALockedDirectoryFailsNamingIt) {
  auto first = open();
  ASSERT_NE(first, nullptr);
  const Status second = open_status();
  EXPECT_EQ(second.code(), StatusCode::kUnavailable) << second;
  EXPECT_NE(second.message().find(dir_), std::string::npos) << second;
  EXPECT_NE(second.message().find("process " + std::to_string(::getpid())), std::string::npos)
      << second;
  first.reset();
  EXPECT_NE(open(), nullptr);
}

TEST_F(FileStorageTest, ChildThatExitsWithoutClosingLeavesItsSyncedRecords) {
  ASSERT_EQ(run_then_crash([](FileStorage& storage) {
              for (const std::string& record : numbered(3))
                if (!storage.append(record).ok()) return false;
              return storage.sync().is_ok();
            }),
            0);
  auto storage = open();
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(data_of(read_all(*storage)), numbered(3));
}

TEST_F(FileStorageTest, OversizedRecordIsRefused) {
  FileStorageOptions options;
  options.max_record_bytes = 16;
  auto storage = open(options);
  ASSERT_NE(storage, nullptr);
  EXPECT_EQ(storage->append(std::string(17, 'x')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(storage->append(std::string(16, 'x')).ok());
}

TEST_F(FileStorageTest, UnusableDirectoryIsAnIoErrorNamingIt) {
  write_bytes(root_ / "file", "not a directory");
  dir_ = (root_ / "file" / "state").string();
  const Status status = open_status();
  EXPECT_EQ(status.code(), StatusCode::kIoError) << status;
  EXPECT_NE(status.message().find(dir_), std::string::npos) << status;
  EXPECT_NE(status.message().find("Not a directory"), std::string::npos) << status;
}

}  // namespace
}  // namespace herd::realnode
