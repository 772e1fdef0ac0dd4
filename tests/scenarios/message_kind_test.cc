#include "scenarios/message_kind.h"

#include <gtest/gtest.h>

#include "core/codec/proto_codec.h"
#include "proto/raft.pb.h"
#include "proto/session.pb.h"
#include "proto/wire.pb.h"

namespace herd::scenarios {
namespace {

std::string envelope(proto::MessageKind kind, const std::string& payload) {
  proto::Envelope e;
  e.set_source(300);  // multi-byte varints before the fields the classifier looks for
  e.set_destination(70000);
  e.set_kind(kind);
  e.set_payload(payload);
  e.set_cluster_id("c");
  return codec::encode_message(e);
}

std::string raft(proto::raft::MessageType type) {
  proto::raft::Message m;
  m.set_type(type);
  m.set_term(9);
  m.add_entries()->set_data(std::string(200, 'x'));
  return envelope(proto::MESSAGE_KIND_RAFT, codec::encode_message(m));
}

std::string session(const proto::SessionMessage& m) {
  return envelope(proto::MESSAGE_KIND_SESSION, codec::encode_message(m));
}

TEST(MessageKindTest, RaftMessagesByType) {
  EXPECT_EQ(classify_message(raft(proto::raft::MSG_APPEND)), MessageKind::kRaftAppend);
  EXPECT_EQ(classify_message(raft(proto::raft::MSG_APPEND_RESPONSE)), MessageKind::kRaftAppend);
  EXPECT_EQ(classify_message(raft(proto::raft::MSG_HEARTBEAT)), MessageKind::kRaftHeartbeat);
  EXPECT_EQ(classify_message(raft(proto::raft::MSG_PRE_VOTE)), MessageKind::kRaftElection);
  EXPECT_EQ(classify_message(raft(proto::raft::MSG_TIMEOUT_NOW)), MessageKind::kRaftElection);
  EXPECT_EQ(classify_message(raft(proto::raft::MSG_SNAPSHOT)), MessageKind::kRaftSnapshot);
  EXPECT_EQ(classify_message(raft(proto::raft::MSG_PROPOSE)), MessageKind::kRaftOther);
}

TEST(MessageKindTest, SessionMessagesByCase) {
  proto::SessionMessage m;
  m.mutable_heartbeat()->set_session_id("s");
  EXPECT_EQ(classify_message(session(m)), MessageKind::kSessionHeartbeat);
  m.mutable_heartbeat_response()->set_period_ns(5);
  EXPECT_EQ(classify_message(session(m)), MessageKind::kSessionHeartbeat);
  m.mutable_status_report()->add_updates()->set_task_id("t");
  EXPECT_EQ(classify_message(session(m)), MessageKind::kSessionStatus);
  m.mutable_assignments()->set_full(true);
  EXPECT_EQ(classify_message(session(m)), MessageKind::kSessionAssignments);
  m.mutable_register_request()->set_token("SWMTKN");
  EXPECT_EQ(classify_message(session(m)), MessageKind::kSessionRegister);
}

TEST(MessageKindTest, ControlAndUnreadableBytes) {
  EXPECT_EQ(classify_message(envelope(proto::MESSAGE_KIND_CONTROL_REQUEST, "x")),
            MessageKind::kControl);
  EXPECT_EQ(classify_message(envelope(proto::MESSAGE_KIND_CONTROL_RESPONSE, "")),
            MessageKind::kControl);
  EXPECT_EQ(classify_message(""), MessageKind::kOther);
  EXPECT_EQ(classify_message("\xff\xff\xff"), MessageKind::kOther);
  std::string truncated = raft(proto::raft::MSG_APPEND);
  truncated.resize(truncated.size() / 2);
  EXPECT_EQ(classify_message(truncated), MessageKind::kOther) << "a cut payload field";
  EXPECT_EQ(kMessageKindNames[static_cast<std::size_t>(MessageKind::kSessionStatus)],
            "session_status");
}

}  // namespace
}  // namespace herd::scenarios
