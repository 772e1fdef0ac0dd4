// NodeProcess: one realnode process — a herd node::Node on the real seam.
//
// It owns the io_context that is the node's one event thread, and every real implementation of
// the seam the node is built from: the steady clock (AsioClock), TCP (TcpTransport), the state
// dir's WAL and snapshot (FileStorage), child processes or the synthetic runtime (the Executor),
// plus the HTTP/JSON control API. The node code is the very same core/ that simnet runs.
//
// run() blocks until SIGTERM or SIGINT (a clean shutdown: the WAL is synced, connections close,
// tasks keep running for the next start to adopt) or until the node cannot go on (the cluster
// refused its token, the state dir is damaged); it returns the process exit status. Everything
// happens on the calling thread.
#pragma once

#include <iosfwd>
#include <memory>

#include "realnode/node_options.h"

namespace herd::realnode {

class NodeProcess {
 public:
  // `out` receives what a user must read (the join commands after init); logs go to stderr.
  NodeProcess(NodeOptions options, std::ostream& out);
  ~NodeProcess();
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  int run();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herd::realnode
