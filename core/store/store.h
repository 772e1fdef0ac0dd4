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
#include <optional>
#include <string_view>
#include <tuple>
#include <variant>
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
  // The rvalue form moves the objects into the tables instead of copying them.
  Status apply(proto::StoreTransaction&& transaction);
  Status apply(const proto::StoreTransaction& transaction) {
    return apply(proto::StoreTransaction(transaction));
  }

  // The whole content, for a Raft snapshot. Objects come out in id order.
  proto::StoreSnapshot snapshot() const;
  // Replaces the whole content; watchers hear on_store_reset().
  Status restore(const proto::StoreSnapshot& snapshot);

  // Watchers are not owned and must be removed before they die.
  void add_watcher(Watcher* watcher);
  void remove_watcher(Watcher* watcher);

 private:
  // One applied action, kept until the watchers have heard of it, or to undo the transaction.
  // Rows change in place: an update keeps the object as it was in `before`; a remove keeps the
  // row it took out. `after` holds a copy only when a later action of the same transaction wrote
  // the row again, so that each event shows the object as its own action left it.
  template <typename T>
  struct Record {
    enum class Kind : std::uint8_t { kCreate, kUpdate, kRemove };
    Kind kind = Kind::kCreate;
    T* row = nullptr;  // create, update
    std::optional<T> before;
    typename Table<T>::Node removed;
    std::optional<T> after;
  };
  using AnyRecord =
      std::variant<Record<proto::Cluster>, Record<proto::Node>, Record<proto::Service>,
                   Record<proto::Task>, Record<proto::Network>, Record<proto::Secret>>;

  template <typename T>
  Status apply_action(proto::StoreActionType type, T&& object, std::uint64_t version,
                      std::vector<AnyRecord>& records);
  Status apply_task_status(proto::TaskStatusPatch& patch, std::uint64_t version,
                           std::vector<AnyRecord>& records);
  Status apply_action_any(proto::StoreAction& action, std::uint64_t version,
                          std::vector<AnyRecord>& records);
  // Before an action writes `row` again within the transaction of `version`, the last record of
  // it keeps a copy of the row as that record's action left it.
  template <typename T>
  void keep_earlier_state(const T& row, std::uint64_t version, std::vector<AnyRecord>& records);
  void undo(std::vector<AnyRecord>& records);
  template <typename T>
  void restore_table(const google::protobuf::RepeatedPtrField<T>& objects);
  void publish(const std::vector<AnyRecord>& records);

  CostMeter* cost_;
  std::uint64_t version_ = 0;
  std::tuple<Table<proto::Cluster>, Table<proto::Node>, Table<proto::Service>, Table<proto::Task>,
             Table<proto::Network>, Table<proto::Secret>>
      tables_;
  std::vector<Watcher*> watchers_;
};

}  // namespace herd::store
