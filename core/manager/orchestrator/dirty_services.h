// The services a leader component must look at again. A service whose last transaction is still
// in Raft (in flight) waits, so a component never acts twice on the same stale view.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

namespace herd::manager {

using ServiceIdSet = std::set<std::string, std::less<>>;

// Removes from `dirty` every service not in `in_flight` and returns them in id order.
inline std::vector<std::string> take_ready(ServiceIdSet& dirty, const ServiceIdSet& in_flight) {
  std::vector<std::string> ready;
  for (auto it = dirty.begin(); it != dirty.end();) {
    if (in_flight.contains(*it)) {
      ++it;
      continue;
    }
    ready.push_back(*it);
    it = dirty.erase(it);
  }
  return ready;
}

}  // namespace herd::manager
