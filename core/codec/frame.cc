#include "core/codec/frame.h"

#include <cstring>

#include "core/codec/crc32c.h"

namespace herd::codec {
namespace {

void put_u32(char* out, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFFU);
}

std::uint32_t get_u32(const char* in) {
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return value;
}

}  // namespace

void append_frame(std::string& out, std::string_view payload) {
  HERD_CHECK(payload.size() <= UINT32_MAX) << "frame payload of " << payload.size() << " bytes";
  char header[kFrameHeaderSize];
  put_u32(header, static_cast<std::uint32_t>(payload.size()));
  put_u32(header + 4, crc32c::mask(crc32c::extend(0, header, 4)));
  put_u32(header + 8, crc32c::mask(crc32c::value(payload)));
  out.append(header, kFrameHeaderSize);
  out.append(payload);
}

std::string encode_frame(std::string_view payload) {
  std::string out;
  out.reserve(kFrameHeaderSize + payload.size());
  append_frame(out, payload);
  return out;
}

Result<std::optional<FrameView>> decode_frame(std::string_view input, std::size_t max_payload) {
  if (input.size() < 8) return std::optional<FrameView>();
  const std::uint32_t length = get_u32(input.data());
  const std::uint32_t length_crc = crc32c::unmask(get_u32(input.data() + 4));
  if (crc32c::extend(0, input.data(), 4) != length_crc) {
    return Status::corruption("frame header checksum mismatch (length field reads " +
                              std::to_string(length) + ")");
  }
  if (length > max_payload) {
    return Status::resource_exhausted("frame payload of " + std::to_string(length) +
                                      " bytes exceeds the cap of " + std::to_string(max_payload));
  }
  if (input.size() < kFrameHeaderSize + length) return std::optional<FrameView>();
  const std::string_view payload = input.substr(kFrameHeaderSize, length);
  const std::uint32_t payload_crc = crc32c::unmask(get_u32(input.data() + 8));
  const std::uint32_t actual = crc32c::value(payload);
  if (actual != payload_crc) {
    return Status::corruption("frame payload checksum mismatch over " + std::to_string(length) +
                              " bytes");
  }
  return std::optional<FrameView>(FrameView{payload, kFrameHeaderSize + length});
}

Result<std::optional<std::string>> FrameReader::next() {
  const std::string_view pending = std::string_view(buffer_).substr(consumed_);
  Result<std::optional<FrameView>> decoded = decode_frame(pending, max_payload_);
  if (!decoded.ok()) return decoded.status();
  if (!decoded->has_value()) {
    // Keep the buffer small: drop what was consumed before waiting for more bytes.
    if (consumed_ > 0) {
      buffer_.erase(0, consumed_);
      consumed_ = 0;
    }
    return std::optional<std::string>();
  }
  std::string payload((*decoded)->payload);
  consumed_ += (*decoded)->size;
  if (consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  return std::optional<std::string>(std::move(payload));
}

}  // namespace herd::codec
