// NodeState: what realnode itself keeps in the state dir besides the core's WAL and snapshot —
// the node's transport id, the cluster it belongs to, and where it listens — in
// `<state-dir>/node.json`, written atomically (temp file, fsync, rename, fsync of the dir).
//
// The transport id is drawn once, at the node's first start, and never changes: Raft and the
// sessions know the node by it. The cluster id is the CA digest of the join token (the part
// between "SWMTKN-1-" and the secret), which the TCP handshake checks so that nodes of two
// clusters never talk. A missing file means a new node; a damaged one is an error that names
// the file and never silently becomes a new identity.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/runtime/result.h"
#include "core/runtime/status.h"

namespace herd::realnode {

struct NodeState {
  std::uint64_t node_id = 0;
  std::string cluster_id;
  std::string listen;
  std::string advertise;
  std::string hostname;
  bool manager = false;
};

// nullopt when the dir holds no node.json yet.
Result<std::optional<NodeState>> load_node_state(const std::string& state_dir);
Status save_node_state(const std::string& state_dir, const NodeState& state);

}  // namespace herd::realnode
