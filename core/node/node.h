// Node: one herd node — a worker agent, and for managers also a ManagerNode — built from an
// Env, so the same object runs inside a simnet host or a realnode process.
//
// It is the Transport's handler and routes Envelopes by kind: Raft and forwarded control
// traffic to the manager; session requests (register, heartbeat, status, leave) to the manager
// (whose leader dispatcher answers them); session answers to the agent. Its identity (transport
// id, Ed25519 key, once joined the cluster node id and certificate, and the managers it last
// heard of) is kept in Storage as a WAL record, so a restarted node comes back as itself and
// finds the cluster again. The first manager of a new cluster bootstraps Raft and registers its
// own agent with the manager token once the cluster exists; every other node registers with the
// token it was given. Deterministic.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/agent/agent.h"
#include "core/manager/manager_node.h"
#include "core/runtime/env.h"
#include "proto/storage.pb.h"

namespace herd::node {

struct NodeConfig {
  NodeId id;
  std::string hostname;
  std::string addr;
  bool manager = false;
  bool bootstrap = false;             // the first manager of a new cluster
  std::string join_token;             // for every node but the bootstrapping one
  std::vector<NodeId> join_managers;  // where to register first
  proto::NodeDescription description;
  manager::ManagerConfig manager_config;  // id, addr and bootstrap are filled in from above
  bool run_agent = true;
};

class Node final : public TransportHandler, public agent::ManagerChannel {
 public:
  Node(Env& env, NodeConfig config);
  ~Node() override;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Recovers the identity and the manager's state from Storage and starts everything.
  Status start();

  manager::ManagerNode* manager() { return manager_.get(); }
  agent::Agent* agent() { return agent_.get(); }
  const proto::NodeIdentity& identity() const { return identity_; }

  // TransportHandler
  void on_message(NodeId from, std::string_view bytes) override;
  void on_peer_up(NodeId peer) override;
  void on_peer_down(NodeId peer) override;
  // agent::ManagerChannel
  void send(NodeId manager, const proto::SessionMessage& message) override;

 private:
  Status load_identity();
  void save_identity();
  void start_agent(const std::string& token);
  // Tells the transport where the managers named in a session answer are, and remembers them
  // in the identity record so a restarted worker can find the cluster again.
  void learn_managers(const proto::SessionMessage& message);
  void wait_for_cluster();

  Env& env_;
  NodeConfig config_;
  proto::NodeIdentity identity_;
  std::unique_ptr<manager::ManagerNode> manager_;
  std::unique_ptr<agent::Agent> agent_;
  ScopedTimer bootstrap_timer_;
};

}  // namespace herd::node
