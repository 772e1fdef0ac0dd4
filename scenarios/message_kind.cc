#include "scenarios/message_kind.h"

#include <cstdint>
#include <optional>

namespace herd::scenarios {
namespace {

// Field numbers and enum values of proto/wire.proto, proto/raft.proto and proto/session.proto.
constexpr std::uint64_t kEnvelopeKindField = 3;
constexpr std::uint64_t kEnvelopePayloadField = 4;
constexpr std::uint64_t kKindRaft = 1;
constexpr std::uint64_t kKindControlRequest = 2;
constexpr std::uint64_t kKindControlResponse = 3;
constexpr std::uint64_t kKindSession = 4;
constexpr std::uint64_t kRaftTypeField = 1;

constexpr int kWireVarint = 0;
constexpr int kWireFixed64 = 1;
constexpr int kWireLengthDelimited = 2;
constexpr int kWireFixed32 = 5;

class WireReader {
 public:
  explicit WireReader(std::string_view bytes) : data_(bytes) {}

  bool done() const { return position_ >= data_.size(); }

  std::optional<std::uint64_t> varint() {
    std::uint64_t value = 0;
    for (int shift = 0; shift < 64 && position_ < data_.size(); shift += 7) {
      const auto byte = static_cast<std::uint8_t>(data_[position_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return value;
    }
    return std::nullopt;
  }

  // Reads one field; `value` is the varint or `bytes` the length-delimited contents.
  bool field(std::uint64_t& number, std::uint64_t& value, std::string_view& bytes) {
    const std::optional<std::uint64_t> tag = varint();
    if (!tag) return false;
    number = *tag >> 3;
    switch (static_cast<int>(*tag & 7)) {
      case kWireVarint: {
        const std::optional<std::uint64_t> v = varint();
        if (!v) return false;
        value = *v;
        return true;
      }
      case kWireLengthDelimited: {
        const std::optional<std::uint64_t> length = varint();
        if (!length || *length > data_.size() - position_) return false;
        bytes = data_.substr(position_, *length);
        position_ += *length;
        return true;
      }
      case kWireFixed64:
        return skip(8);
      case kWireFixed32:
        return skip(4);
      default:
        return false;
    }
  }

 private:
  bool skip(std::size_t n) {
    if (n > data_.size() - position_) return false;
    position_ += n;
    return true;
  }

  std::string_view data_;
  std::size_t position_ = 0;
};

MessageKind raft_kind(std::string_view payload) {
  WireReader reader(payload);
  std::uint64_t number = 0;
  std::uint64_t value = 0;
  std::string_view bytes;
  if (!reader.field(number, value, bytes) || number != kRaftTypeField) return MessageKind::kOther;
  switch (value) {
    case 1:  // pre-vote
    case 2:
    case 3:  // vote
    case 4:
    case 10:  // timeout-now
      return MessageKind::kRaftElection;
    case 5:  // append
    case 6:
      return MessageKind::kRaftAppend;
    case 7:  // heartbeat
    case 8:
      return MessageKind::kRaftHeartbeat;
    case 9:
      return MessageKind::kRaftSnapshot;
    default:
      return MessageKind::kRaftOther;
  }
}

MessageKind session_kind(std::string_view payload) {
  WireReader reader(payload);
  std::uint64_t number = 0;
  std::uint64_t value = 0;
  std::string_view bytes;
  if (!reader.field(number, value, bytes)) return MessageKind::kOther;
  switch (number) {  // the SessionMessage oneof case
    case 3:          // heartbeat
    case 4:
      return MessageKind::kSessionHeartbeat;
    case 5:
      return MessageKind::kSessionStatus;
    case 6:
      return MessageKind::kSessionAssignments;
    case 1:  // register
    case 2:
    case 7:  // rejected
    case 8:  // leave
      return MessageKind::kSessionRegister;
    default:
      return MessageKind::kOther;
  }
}

}  // namespace

const std::array<std::string_view, kMessageKinds> kMessageKindNames = {
    "raft_append", "raft_heartbeat",   "raft_election",     "raft_snapshot",  "raft_other",
    "control",     "session_register", "session_heartbeat", "session_status", "session_assignments",
    "other"};

MessageKind classify_message(std::string_view bytes) {
  WireReader reader(bytes);
  std::uint64_t kind = 0;
  std::string_view payload;
  while (!reader.done()) {
    std::uint64_t number = 0;
    std::uint64_t value = 0;
    std::string_view field_bytes;
    if (!reader.field(number, value, field_bytes)) return MessageKind::kOther;
    if (number == kEnvelopeKindField) kind = value;
    if (number == kEnvelopePayloadField) payload = field_bytes;
  }
  switch (kind) {
    case kKindRaft:
      return raft_kind(payload);
    case kKindControlRequest:
    case kKindControlResponse:
      return MessageKind::kControl;
    case kKindSession:
      return session_kind(payload);
    default:
      return MessageKind::kOther;
  }
}

}  // namespace herd::scenarios
