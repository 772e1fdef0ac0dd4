// ProcessRecord: what the process executor keeps on disk about one task (<task dir>/process), so
// that a restarted worker can tell which of its tasks' processes still run.
//
// A pid alone does not name a process for long: pids are reused. The record pairs it with the
// process's start time (field 22 of /proc/<pid>/stat, clock ticks after boot) and the boot id, and
// a pid counts as the task's only while /proc shows that same start time in that same boot. The
// encoding is one CRC-checked frame (core/codec/frame.h) holding a version byte, fixed-width
// little-endian fields and the deterministic Protobuf encoding of the spec; decoding rejects any
// damage with corruption instead of guessing.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/runtime/executor.h"
#include "core/runtime/result.h"
#include "proto/objects.pb.h"

namespace herd::realnode {

// How a task ended: kExited, kFailed or kStopped, and why.
struct ProcessOutcome {
  RunState state = RunState::kFailed;
  int exit_code = 0;
  std::string message;

  friend bool operator==(const ProcessOutcome&, const ProcessOutcome&) = default;
};

struct ProcessRecord {
  pid_t pid = 0;                 // 0 when the task ended before a process was started
  std::uint64_t start_time = 0;  // of `pid`, in clock ticks after boot
  std::string boot_id;           // /proc/sys/kernel/random/boot_id when it started
  bool stop_requested = false;   // stop() was asked: its end is kStopped, whatever the cause
  std::optional<ProcessOutcome> outcome;  // set once the task has ended
  proto::ContainerSpec spec;
};

std::string encode_process_record(const ProcessRecord& record);
// corruption naming `what` (the file) when the bytes are not an intact record of this version.
Result<ProcessRecord> decode_process_record(std::string_view bytes, std::string_view what);

// What /proc says of a pid: nullopt when no process (not even a zombie) has it.
struct ProcStat {
  std::uint64_t start_time = 0;
  bool zombie = false;  // ended, not yet reaped by its parent
};
std::optional<ProcStat> read_proc_stat(pid_t pid);

// This boot's id, or "" when the kernel does not say (then every boot looks the same).
std::string current_boot_id();

}  // namespace herd::realnode
