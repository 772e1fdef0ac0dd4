// Store events: what watchers hear after a transaction is applied.
//
// A Change<T> has the object before the write (null for a create) and after it (null for a
// remove). Events of one transaction arrive in action order, followed by one commit notice with
// the store version; the pointed-to objects live only for the duration of the callback. Every
// manager applies the same log, so every manager's watchers see the same events in the same order.
#pragma once

#include <cstdint>
#include <variant>

#include "proto/objects.pb.h"

namespace herd::store {

template <typename T>
struct Change {
  const T* before = nullptr;
  const T* after = nullptr;

  bool created() const { return before == nullptr; }
  bool removed() const { return after == nullptr; }
  // The object as it is now, or as it was when removed.
  const T& current() const { return after != nullptr ? *after : *before; }
};

using Event = std::variant<Change<proto::Cluster>, Change<proto::Node>, Change<proto::Service>,
                           Change<proto::Task>, Change<proto::Network>, Change<proto::Secret>>;

class Watcher {
 public:
  virtual ~Watcher() = default;

  virtual void on_store_event(const Event& event) = 0;
  // After the last event of a transaction; `version` is the store version it produced.
  virtual void on_store_commit(std::uint64_t version) = 0;
  // The store's whole content was replaced (snapshot restore): rebuild any derived state.
  virtual void on_store_reset() = 0;
};

}  // namespace herd::store
