// Frames: how herd delimits messages on a TCP stream and records in a WAL file.
//
//   offset 0   u32 little-endian  payload length
//   offset 4   u32 little-endian  masked CRC-32C of bytes 0..3 (guards the length itself)
//   offset 8   u32 little-endian  masked CRC-32C of the payload
//   offset 12  payload
//
// The length has its own checksum so that a damaged length is reported as corruption instead of
// being read as "the rest has not arrived yet", which in a WAL would silently drop every later
// record. Decoding never allocates: it returns a view into the caller's buffer, and it checks the
// length against a cap before looking at the payload, so a hostile length costs nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/runtime/result.h"

namespace herd::codec {

inline constexpr std::size_t kFrameHeaderSize = 12;
inline constexpr std::size_t kDefaultMaxFramePayload = 64 * 1024 * 1024;

// Appends one frame holding `payload` to `out`.
void append_frame(std::string& out, std::string_view payload);
std::string encode_frame(std::string_view payload);

struct FrameView {
  std::string_view payload;
  std::size_t size = 0;  // header plus payload: how far to advance past this frame
};

// Decodes the frame at the start of `input`.
//   - a FrameView when a whole, intact frame is there;
//   - nullopt when `input` is a proper prefix of a frame (wait for more bytes, or a torn tail);
//   - corruption when a checksum does not match, resource_exhausted when the length exceeds
//     `max_payload`; the message says which and gives the numbers.
Result<std::optional<FrameView>> decode_frame(std::string_view input,
                                              std::size_t max_payload = kDefaultMaxFramePayload);

// Accumulates bytes from a stream and hands out whole frames, for the TCP transport.
class FrameReader {
 public:
  explicit FrameReader(std::size_t max_payload = kDefaultMaxFramePayload)
      : max_payload_(max_payload) {}

  void feed(std::string_view bytes) { buffer_.append(bytes); }

  // The next whole frame's payload, nullopt when more bytes are needed, or the decode error.
  // After an error the stream is unusable: the caller closes the connection.
  Result<std::optional<std::string>> next();

  std::size_t buffered() const { return buffer_.size() - consumed_; }

 private:
  std::size_t max_payload_;
  std::string buffer_;
  std::size_t consumed_ = 0;
};

}  // namespace herd::codec
