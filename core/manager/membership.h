// RaftMembership: what the leader-only components may ask of the manager's Raft group.
//
// The manager node implements it over its Raft state machine. add_voter() and remove_member()
// propose one configuration change each (Raft allows one at a time; a second is refused with
// failed_precondition until the first has applied) and call `done` once it has committed and
// applied, or failed. reachable() reflects the transport's view of each member. Calls come on the
// node's event thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/runtime/ids.h"
#include "core/runtime/status.h"

namespace herd::manager {

class RaftMembership {
 public:
  using Done = std::function<void(const Status&)>;

  virtual ~RaftMembership() = default;

  virtual NodeId self() const = 0;
  virtual std::vector<NodeId> voters() const = 0;
  virtual bool reachable(NodeId member) const = 0;

  virtual void add_voter(NodeId member, const std::string& addr, Done done) = 0;
  virtual void remove_member(NodeId member, Done done) = 0;
  // Hands leadership to `to`; this leader steps down once `to` has taken over.
  virtual void transfer_leadership(NodeId to) = 0;
};

}  // namespace herd::manager
