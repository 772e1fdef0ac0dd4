#include "core/node/node.h"

#include <algorithm>

#include "core/codec/proto_codec.h"
#include "core/manager/ca/root_ca.h"
#include "proto/wire.pb.h"

namespace herd::node {
namespace {

bool is_answer(const proto::SessionMessage& message) {
  switch (message.message_case()) {
    case proto::SessionMessage::kRegisterResponse:
    case proto::SessionMessage::kHeartbeatResponse:
    case proto::SessionMessage::kAssignments:
    case proto::SessionMessage::kRejected:
      return true;
    default:
      return false;
  }
}

}  // namespace

Node::Node(Env& env, NodeConfig config)
    : env_(env), config_(std::move(config)), bootstrap_timer_(env.clock) {
  env_.transport.set_handler(this);
}

Node::~Node() {
  env_.transport.set_handler(nullptr);
  agent_.reset();
  manager_.reset();
}

Status Node::load_identity() {
  HERD_ASSIGN_OR_RETURN(const std::vector<WalRecord> records, env_.storage.read_wal());
  for (const WalRecord& record : records) {
    proto::WalRecord wal;
    if (!codec::decode_message(record.data, wal, "WAL record").is_ok()) continue;
    if (wal.has_identity()) identity_ = wal.identity();
  }
  if (identity_.node_id() == 0) {
    // First start: a key of our own, from the node's seeded Rng.
    HERD_ASSIGN_OR_RETURN(const manager::NodeKey key, manager::generate_node_key(env_.rng));
    identity_.set_node_id(config_.id.value());
    identity_.set_hostname(config_.hostname);
    identity_.set_private_key(key.private_key);
    identity_.set_public_key(key.public_key);
    save_identity();
  } else if (identity_.node_id() != config_.id.value()) {
    return Status::failed_precondition("the state on disk belongs to node " +
                                       std::to_string(identity_.node_id()) + ", not " +
                                       std::to_string(config_.id.value()));
  }
  return Status::ok();
}

void Node::save_identity() {
  proto::WalRecord record;
  *record.mutable_identity() = identity_;
  const std::string bytes = codec::encode_message(record);
  (void)env_.storage.append(bytes);
  (void)env_.storage.sync();
  if (manager_) manager_->set_pinned_record(bytes);
}

Status Node::start() {
  HERD_RETURN_IF_ERROR(load_identity());
  if (config_.manager) {
    manager::ManagerConfig manager_config = config_.manager_config;
    manager_config.id = config_.id;
    manager_config.addr = config_.addr;
    manager_config.bootstrap = config_.bootstrap;
    manager_ = std::make_unique<manager::ManagerNode>(env_, manager_config);
    proto::WalRecord record;
    *record.mutable_identity() = identity_;
    manager_->set_pinned_record(codec::encode_message(record));
    HERD_RETURN_IF_ERROR(manager_->start());
  }
  if (!config_.run_agent) return Status::ok();
  if (config_.bootstrap && identity_.store_node_id().empty()) {
    wait_for_cluster();
  } else {
    start_agent(config_.join_token);
  }
  return Status::ok();
}

void Node::wait_for_cluster() {
  // The first manager joins its own cluster with the manager token once it exists.
  const auto& clusters = manager_->store().table<proto::Cluster>().all();
  if (!clusters.empty()) {
    start_agent(clusters.begin()->second.root_ca().join_tokens().manager());
    return;
  }
  bootstrap_timer_.arm(milliseconds(200), [this] { wait_for_cluster(); });
}

void Node::start_agent(const std::string& token) {
  agent::AgentConfig config;
  config.join_token = token;
  config.public_key = identity_.public_key();
  config.description = config_.description;
  config.description.set_hostname(config_.hostname);
  config.addr = config_.addr;
  // The managers heard of last are fresher than the ones the node was first told to join.
  for (const proto::ManagerPeer& peer : identity_.managers()) {
    config.managers.push_back(NodeId(peer.node_id()));
    if (peer.node_id() != config_.id.value() && !peer.addr().empty()) {
      env_.transport.set_peer_address(NodeId(peer.node_id()), peer.addr());
    }
  }
  if (config.managers.empty()) config.managers = config_.join_managers;
  if (config.managers.empty() && manager_) config.managers.push_back(config_.id);
  agent::AgentIdentity known;
  known.node_id = identity_.store_node_id();
  known.certificate = identity_.certificate();
  agent_ = std::make_unique<agent::Agent>(env_.clock, env_.rng, *env_.executor, *this, env_.logger,
                                          env_.cost, config, known,
                                          [this](const agent::AgentIdentity& given) {
                                            identity_.set_store_node_id(given.node_id);
                                            *identity_.mutable_certificate() = given.certificate;
                                            save_identity();
                                          });
  agent_->start();
}

void Node::learn_managers(const proto::SessionMessage& message) {
  const google::protobuf::RepeatedPtrField<proto::ManagerPeer>* peers = nullptr;
  if (message.has_register_response()) peers = &message.register_response().managers();
  if (message.has_heartbeat_response()) peers = &message.heartbeat_response().managers();
  if (message.has_rejected()) peers = &message.rejected().managers();
  if (peers == nullptr || peers->empty()) return;
  const bool same = peers->size() == identity_.managers().size() &&
                    std::equal(peers->begin(), peers->end(), identity_.managers().begin(),
                               [](const proto::ManagerPeer& a, const proto::ManagerPeer& b) {
                                 return a.node_id() == b.node_id() && a.addr() == b.addr();
                               });
  if (same) return;
  for (const proto::ManagerPeer& peer : *peers) {
    if (peer.node_id() != config_.id.value() && !peer.addr().empty()) {
      env_.transport.set_peer_address(NodeId(peer.node_id()), peer.addr());
    }
  }
  *identity_.mutable_managers() = *peers;
  save_identity();
}

void Node::send(NodeId manager, const proto::SessionMessage& message) {
  proto::Envelope envelope;
  envelope.set_source(config_.id.value());
  envelope.set_destination(manager.value());
  envelope.set_kind(proto::MESSAGE_KIND_SESSION);
  envelope.set_payload(codec::encode_message(message));
  if (!env_.transport.send(manager, codec::encode_message(envelope)).is_ok() && agent_) {
    agent_->on_peer_down(manager);
  }
}

void Node::on_message(NodeId from, std::string_view bytes) {
  proto::Envelope envelope;
  if (!codec::decode_message(bytes, envelope, "envelope").is_ok()) {
    env_.logger.warning("node.bad_envelope", {{"from", from}, {"bytes", bytes.size()}});
    return;
  }
  if (envelope.kind() == proto::MESSAGE_KIND_SESSION) {
    proto::SessionMessage message;
    if (!codec::decode_message(envelope.payload(), message, "session message").is_ok()) return;
    if (is_answer(message)) {
      learn_managers(message);
      if (agent_) agent_->on_message(from, message);
    } else if (manager_) {
      manager_->on_envelope(from, envelope);
    }
    return;
  }
  if (manager_) manager_->on_envelope(from, envelope);
}

void Node::on_peer_up(NodeId peer) {
  if (manager_) manager_->on_peer_up(peer);
}

void Node::on_peer_down(NodeId peer) {
  if (manager_) manager_->on_peer_down(peer);
  if (agent_) agent_->on_peer_down(peer);
}

}  // namespace herd::node
