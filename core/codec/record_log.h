// Record logs: a WAL as a sequence of frames (core/codec/frame.h), and how recovery reads one.
//
// decode_record_log() returns every intact record in order. A damaged or incomplete last frame
// is a torn write from a crash and is dropped (the result says so, and where the good part ends,
// so the caller can truncate the file there); a damaged frame with intact data after it is
// corruption in the middle of the log and is an error naming its offset — the log cannot be
// trusted and nothing should be recovered from it silently. Shared by realnode's file WAL and
// simnet's disk. Deterministic.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/runtime/result.h"

namespace herd::codec {

struct DecodedRecordLog {
  std::vector<std::string_view> records;  // views into the image
  std::size_t valid_bytes = 0;            // where the intact part ends
  bool torn_tail = false;
};

Result<DecodedRecordLog> decode_record_log(std::string_view image, std::size_t max_record_bytes);

}  // namespace herd::codec
