#include "core/raft/log_storage.h"

#include <gtest/gtest.h>

namespace herd::raft {
namespace {

std::vector<proto::raft::Entry> entries(std::uint64_t from, std::uint64_t to, std::uint64_t term) {
  std::vector<proto::raft::Entry> out;
  for (std::uint64_t i = from; i <= to; ++i) {
    proto::raft::Entry& entry = out.emplace_back();
    entry.set_index(i);
    entry.set_term(term);
    entry.set_data("d" + std::to_string(i));
  }
  return out;
}

TEST(MemoryLogStorageTest, AppendReplacesConflictingSuffix) {
  MemoryLogStorage storage;
  ASSERT_TRUE(storage.append(entries(1, 5, 1)).is_ok());
  ASSERT_TRUE(storage.append(entries(4, 6, 2)).is_ok());
  EXPECT_EQ(storage.last_index(), LogIndex(6));
  EXPECT_EQ(*storage.term(LogIndex(3)), Term(1));
  EXPECT_EQ(*storage.term(LogIndex(4)), Term(2));
  EXPECT_EQ(storage.append(entries(9, 9, 2)).code(), StatusCode::kFailedPrecondition) << "a gap";
}

TEST(MemoryLogStorageTest, SnapshotCompactsButKeepsEntriesForSlowFollowers) {
  MemoryLogStorage storage;
  ASSERT_TRUE(storage.append(entries(1, 100, 1)).is_ok());
  proto::raft::ConfState conf;
  conf.add_voters(1);
  ASSERT_TRUE(storage.create_snapshot(LogIndex(90), conf, "state", 20).is_ok());
  EXPECT_EQ(storage.snapshot().metadata().index(), 90U);
  EXPECT_EQ(storage.first_index(), LogIndex(71)) << "20 entries kept before the snapshot";
  EXPECT_EQ(storage.term(LogIndex(50)).status().code(), StatusCode::kAborted);
  EXPECT_TRUE(storage.entries(LogIndex(71), LogIndex(101), 1 << 20).ok());
  EXPECT_EQ(storage.entries(LogIndex(60), LogIndex(70), 1 << 20).status().code(),
            StatusCode::kAborted);
}

TEST(MemoryLogStorageTest, EntriesRespectTheSizeLimitButReturnOne) {
  MemoryLogStorage storage;
  ASSERT_TRUE(storage.append(entries(1, 10, 1)).is_ok());
  EXPECT_EQ(storage.entries(LogIndex(1), LogIndex(11), 1)->size(), 1U);
  EXPECT_EQ(storage.entries(LogIndex(1), LogIndex(11), 1 << 20)->size(), 10U);
  EXPECT_EQ(storage.entries(LogIndex(1), LogIndex(20), 1 << 20).status().code(),
            StatusCode::kNotFound);
}

TEST(MemoryLogStorageTest, ApplySnapshotReplacesTheLog) {
  MemoryLogStorage storage;
  ASSERT_TRUE(storage.append(entries(1, 5, 1)).is_ok());
  proto::raft::Snapshot snapshot;
  snapshot.mutable_metadata()->set_index(50);
  snapshot.mutable_metadata()->set_term(3);
  ASSERT_TRUE(storage.apply_snapshot(snapshot).is_ok());
  EXPECT_EQ(storage.first_index(), LogIndex(51));
  EXPECT_EQ(storage.last_index(), LogIndex(50));
  EXPECT_EQ(*storage.term(LogIndex(50)), Term(3));
  snapshot.mutable_metadata()->set_index(10);
  EXPECT_EQ(storage.apply_snapshot(snapshot).code(), StatusCode::kFailedPrecondition) << "older";
}

}  // namespace
}  // namespace herd::raft
