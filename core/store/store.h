// Store: the replicated object store every manager holds (SwarmKit's MemoryStore).
//
// Its content changes only through apply() of a StoreTransaction taken from a committed Raft
// entry, or restore() of a snapshot, so every manager that applies the same log holds the same
// objects. A transaction is atomic: all its actions apply, or none do and apply() says why
// (already_exists, not_found, aborted for a stale version, invalid_argument). Each successful
// transaction bumps the store version, which becomes the version of every object it wrote.
// Watchers hear the resulting events synchronously, after the transaction, in action order.
// Deterministic: ordered containers only; no clock; ids come from the transaction.
#pragma once

#include <cstdint>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/runtime/cost_meter.h"
#include "core/runtime/status.h"
#include "core/store/event.h"
#include "core/store/table.h"
#include "proto/store.pb.h"

namespace herd::store {

class Store {
 public:
  explicit Store(CostMeter* cost = nullptr) : cost_(cost) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::uint64_t version() const { return version_; }

  template <typename T>
  const Table<T>& table() const {
    return std::get<Table<T>>(tables_);
  }
  template <typename T>
  const T* get(std::string_view id) const {
    return table<T>().get(id);
  }

  // Applies one transaction atomically (or, when it is marked independent_actions, each action on
  // its own, skipping failed ones and reporting how many failed); see the file comment for codes.
  Status apply(const proto::StoreTransaction& transaction);

  // The whole content, for a Raft snapshot. Objects come out in id order.
  proto::StoreSnapshot snapshot() const;
  // Replaces the whole content; watchers hear on_store_reset().
  Status restore(const proto::StoreSnapshot& snapshot);

  // Watchers are not owned and must be removed before they die.
  void add_watcher(Watcher* watcher);
  void remove_watcher(Watcher* watcher);

 private:
  struct Undo;
  // One applied action: the object before (unset for a create) and after (unset for a remove).
  struct Recorded {
    proto::StoreObject before;
    proto::StoreObject after;
  };
  template <typename T>
  Status apply_action(const proto::StoreAction& action, const T& object, std::uint64_t version,
                      std::vector<Undo>& undo, std::vector<Recorded>& changes);
  Status apply_task_status(const proto::TaskStatusPatch& patch, std::uint64_t version,
                           std::vector<Undo>& undo, std::vector<Recorded>& changes);
  Status apply_action_any(const proto::StoreAction& action, std::uint64_t version,
                          std::vector<Undo>& undo, std::vector<Recorded>& changes);
  template <typename T>
  void restore_table(const google::protobuf::RepeatedPtrField<T>& objects);
  void publish(const std::vector<Recorded>& changes);

  CostMeter* cost_;
  std::uint64_t version_ = 0;
  std::tuple<Table<proto::Cluster>, Table<proto::Node>, Table<proto::Service>, Table<proto::Task>,
             Table<proto::Network>, Table<proto::Secret>>
      tables_;
  std::vector<Watcher*> watchers_;
};

}  // namespace herd::store
