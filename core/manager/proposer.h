// Proposer: how a leader-only component writes to the store.
//
// propose() hands a transaction to the manager, which puts it (batched with others) into the
// Raft log. `done` runs exactly once, on the node's event thread, never inside propose(): with
// the Status of applying the transaction once it committed, or not_leader / unavailable when it
// never will. A component must not assume its write has happened until `done` says so; until
// then the store still shows the old state, and reconciling again would repeat the write.
// When leadership ends, the manager fails every outstanding proposal (not_leader) before it
// destroys the components that made them, so a `done` never outlives its component.
#pragma once

#include <functional>

#include "core/runtime/status.h"
#include "proto/store.pb.h"

namespace herd::manager {

class Proposer {
 public:
  using Done = std::function<void(const Status&)>;

  virtual ~Proposer() = default;
  virtual void propose(proto::StoreTransaction transaction, Done done) = 0;
};

}  // namespace herd::manager
