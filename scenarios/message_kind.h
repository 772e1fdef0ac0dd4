// MessageKind: what a message between nodes is, read from its bytes, for the report's
// "messages and bytes per second by kind".
//
// classify_message() reads the Envelope's kind and the first field of its payload straight from
// the Protobuf wire format (deterministic serialization writes fields in number order, so the
// Raft message type and the session message's oneof case come first) without decoding either
// message: the runner classifies every delivered message, millions at Swarm3k scale. Bytes it
// cannot read are kOther. Deterministic.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace herd::scenarios {

enum class MessageKind : std::size_t {
  kRaftAppend,     // append entries and their answers
  kRaftHeartbeat,  // leader heartbeats and their answers
  kRaftElection,   // (pre-)votes, their answers, timeout-now
  kRaftSnapshot,
  kRaftOther,        // read index, forwarded proposals
  kControl,          // control requests forwarded to the leader and their answers
  kSessionRegister,  // register, its answer, rejections, leave
  kSessionHeartbeat,
  kSessionStatus,  // task status reports
  kSessionAssignments,
  kOther,
};

inline constexpr std::size_t kMessageKinds = static_cast<std::size_t>(MessageKind::kOther) + 1;

// snake_case names, in enum order ("raft_append", ...).
extern const std::array<std::string_view, kMessageKinds> kMessageKindNames;

MessageKind classify_message(std::string_view bytes);

}  // namespace herd::scenarios
