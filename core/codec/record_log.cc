#include "core/codec/record_log.h"

#include "core/codec/frame.h"

namespace herd::codec {

Result<DecodedRecordLog> decode_record_log(std::string_view image, std::size_t max_record_bytes) {
  DecodedRecordLog log;
  std::size_t offset = 0;
  while (offset < image.size()) {
    const std::string_view rest = image.substr(offset);
    Result<std::optional<FrameView>> frame = decode_frame(rest, max_record_bytes);
    if (frame.ok() && frame->has_value()) {
      log.records.push_back((*frame)->payload);
      offset += (*frame)->size;
      continue;
    }
    if (frame.ok()) {
      // A prefix of a frame and nothing after it: the last write was cut short.
      log.torn_tail = true;
      break;
    }
    // A damaged frame is a torn tail only if nothing intact follows it anywhere: look for a
    // whole frame at any later offset.
    bool intact_after = false;
    for (std::size_t probe = offset + 1; probe + kFrameHeaderSize <= image.size(); ++probe) {
      Result<std::optional<FrameView>> later = decode_frame(image.substr(probe), max_record_bytes);
      if (later.ok() && later->has_value()) {
        intact_after = true;
        break;
      }
    }
    if (intact_after) {
      return Status::corruption("record at offset " + std::to_string(offset) + " is damaged (" +
                                frame.status().message() + ") and intact records follow it");
    }
    log.torn_tail = true;
    break;
  }
  log.valid_bytes = offset;
  return log;
}

}  // namespace herd::codec
