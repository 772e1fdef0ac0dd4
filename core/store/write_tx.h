// WriteTx: builds a StoreTransaction from the objects a component wants to write.
//
// A component reads objects from the Store, changes copies, and records them here; the manager
// proposes the finished transaction through Raft, and it takes effect when applied. update() and
// remove() keep the version the object had when read, so a write raced by another one fails
// (aborted) instead of overwriting it. Building a transaction changes nothing by itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/store/object_traits.h"
#include "proto/store.pb.h"

namespace herd::store {

class WriteTx {
 public:
  template <typename T>
  void create(T object) {
    add(proto::STORE_ACTION_CREATE, std::move(object));
  }
  // `object.meta().version()` must be the version that was read.
  template <typename T>
  void update(T object) {
    add(proto::STORE_ACTION_UPDATE, std::move(object));
  }
  template <typename T>
  void remove(const T& object) {
    T stub;
    stub.mutable_meta()->set_id(object.meta().id());
    stub.mutable_meta()->set_version(object.meta().version());
    add(proto::STORE_ACTION_REMOVE, std::move(stub));
  }

  // Patches one task's node (when `node_id` is not empty) and status; `version` is the version
  // read, or 0 to patch whatever is stored.
  void task_status(const std::string& task_id, std::uint64_t version, const std::string& node_id,
                   proto::TaskStatus status) {
    proto::StoreAction* action = transaction_.add_actions();
    action->set_type(proto::STORE_ACTION_TASK_STATUS);
    proto::TaskStatusPatch* patch = action->mutable_task_status();
    patch->set_task_id(task_id);
    patch->set_version(version);
    patch->set_node_id(node_id);
    *patch->mutable_status() = std::move(status);
  }

  // Makes every action apply on its own (see StoreTransaction.independent_actions).
  void set_independent_actions() { transaction_.set_independent_actions(true); }

  bool empty() const { return transaction_.actions().empty(); }
  std::size_t size() const { return static_cast<std::size_t>(transaction_.actions_size()); }

  const proto::StoreTransaction& transaction() const { return transaction_; }
  proto::StoreTransaction release() && { return std::move(transaction_); }

 private:
  template <typename T>
  void add(proto::StoreActionType type, T object) {
    proto::StoreAction* action = transaction_.add_actions();
    action->set_type(type);
    *mutable_object_in<T>(*action->mutable_object()) = std::move(object);
  }

  proto::StoreTransaction transaction_;
};

}  // namespace herd::store
