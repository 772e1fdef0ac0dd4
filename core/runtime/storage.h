// Storage: a node's durable state, as a write-ahead log of opaque records plus one snapshot.
//
// append() adds a record to the log and returns its sequence number (strictly increasing, never
// reused); nothing is durable until sync() returns ok, and a crash may drop any unsynced suffix.
// save_snapshot() replaces the snapshot atomically and durably. compact() drops the records
// before a sequence number once a snapshot covers them. read_wal() and load_snapshot() are for
// recovery after a restart: they return exactly what survived, and report a damaged record in
// the middle of the log as corruption (a torn last record is dropped). Records are Protobuf bytes
// chosen by the caller (proto/storage.proto); Storage does not interpret them.
// simnet implements it with a simulated disk that can lose syncs and tear or corrupt records;
// realnode with segment files, CRC-checked frames and fsync.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime/result.h"
#include "core/runtime/status.h"

namespace herd {

struct WalRecord {
  std::uint64_t sequence = 0;
  std::string data;
};

class Storage {
 public:
  virtual ~Storage() = default;

  virtual Result<std::uint64_t> append(std::string_view record) = 0;
  virtual Status sync() = 0;

  // Drops every record whose sequence is below `sequence`.
  virtual Status compact(std::uint64_t sequence) = 0;

  virtual Status save_snapshot(std::string_view snapshot) = 0;

  virtual Result<std::optional<std::string>> load_snapshot() = 0;
  virtual Result<std::vector<WalRecord>> read_wal() = 0;
};

}  // namespace herd
