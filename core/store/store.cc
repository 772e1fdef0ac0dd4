#include "core/store/store.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <set>

namespace herd::store {

// How to put one table back as it was before a failed transaction.
struct Store::Undo {
  std::function<void()> revert;
};

namespace {

template <typename T>
std::string describe(const T& object) {
  std::string text(object_kind_name(ObjectTraits<T>::kKind));
  text += ' ';
  text += object.meta().id();
  return text;
}

template <typename T>
Status check_unique_name(const Table<T>& table, const T& object) {
  const std::string* name = ObjectTraits<T>::unique_name(object);
  if (name == nullptr || name->empty()) return Status::ok();
  const T* holder = table.by_name(*name);
  if (holder != nullptr && holder->meta().id() != object.meta().id()) {
    return Status::already_exists(std::string(object_kind_name(ObjectTraits<T>::kKind)) +
                                  " name '" + *name + "' is taken by " + holder->meta().id());
  }
  return Status::ok();
}

}  // namespace

template <typename T>
Status Store::apply_action(const proto::StoreAction& action, const T& object, std::uint64_t version,
                           std::vector<Undo>& undo, std::vector<Recorded>& changes) {
  auto& table = std::get<Table<T>>(tables_);
  const std::string& id = object.meta().id();
  if (id.empty()) {
    return Status::invalid_argument(std::string(object_kind_name(ObjectTraits<T>::kKind)) +
                                    " without an id");
  }
  const T* existing = table.get(id);
  proto::StoreObject before;
  proto::StoreObject after;
  if (existing != nullptr) *mutable_object_in<T>(before) = *existing;

  switch (action.type()) {
    case proto::STORE_ACTION_CREATE: {
      if (existing != nullptr) return Status::already_exists(describe(object) + " already exists");
      HERD_RETURN_IF_ERROR(check_unique_name(table, object));
      T& stored = *mutable_object_in<T>(after);
      stored = object;
      stored.mutable_meta()->set_version(version);
      table.put(stored);
      undo.push_back({[&table, id] { table.erase(id); }});
      break;
    }
    case proto::STORE_ACTION_UPDATE: {
      if (existing == nullptr) return Status::not_found(describe(object) + " does not exist");
      if (existing->meta().version() != object.meta().version()) {
        return Status::aborted(describe(object) + ": stale write, read version " +
                               std::to_string(object.meta().version()) + " but stored version is " +
                               std::to_string(existing->meta().version()));
      }
      HERD_RETURN_IF_ERROR(check_unique_name(table, object));
      T& stored = *mutable_object_in<T>(after);
      stored = object;
      stored.mutable_meta()->set_version(version);
      T previous = *existing;
      table.put(stored);
      undo.push_back({[&table, previous = std::move(previous)] { table.put(previous); }});
      break;
    }
    case proto::STORE_ACTION_REMOVE: {
      if (existing == nullptr) return Status::not_found(describe(object) + " does not exist");
      // Version 0 removes whatever is stored: the reaper and forced removals use it.
      if (object.meta().version() != 0 && existing->meta().version() != object.meta().version()) {
        return Status::aborted(describe(object) + ": stale remove, read version " +
                               std::to_string(object.meta().version()) + " but stored version is " +
                               std::to_string(existing->meta().version()));
      }
      T previous = *existing;
      table.erase(id);
      undo.push_back({[&table, previous = std::move(previous)] { table.put(previous); }});
      break;
    }
    default:
      return Status::invalid_argument("unknown store action type " +
                                      std::to_string(static_cast<int>(action.type())));
  }
  changes.push_back({std::move(before), std::move(after)});
  return Status::ok();
}

Status Store::apply_task_status(const proto::TaskStatusPatch& patch, std::uint64_t version,
                                std::vector<Undo>& undo, std::vector<Recorded>& changes) {
  auto& tasks = std::get<Table<proto::Task>>(tables_);
  const proto::Task* existing = tasks.get(patch.task_id());
  if (existing == nullptr) {
    return Status::not_found("task " + patch.task_id() + " does not exist");
  }
  if (patch.version() != 0 && existing->meta().version() != patch.version()) {
    return Status::aborted("task " + patch.task_id() + ": stale status update, read version " +
                           std::to_string(patch.version()) + " but stored version is " +
                           std::to_string(existing->meta().version()));
  }
  Recorded& change = changes.emplace_back();
  proto::Task& previous = *change.before.mutable_task();
  previous = *existing;
  proto::Task& stored = *change.after.mutable_task();
  stored = previous;
  if (!patch.node_id().empty()) stored.set_node_id(patch.node_id());
  *stored.mutable_status() = patch.status();
  stored.mutable_meta()->set_version(version);
  tasks.put(stored);
  undo.push_back({[&tasks, &previous] { tasks.put(previous); }});
  return Status::ok();
}

Status Store::apply_action_any(const proto::StoreAction& action, std::uint64_t version,
                               std::vector<Undo>& undo, std::vector<Recorded>& changes) {
  if (action.type() == proto::STORE_ACTION_TASK_STATUS) {
    return apply_task_status(action.task_status(), version, undo, changes);
  }
  const proto::StoreObject& wrapper = action.object();
  switch (wrapper.object_case()) {
    case proto::StoreObject::kCluster:
      return apply_action(action, wrapper.cluster(), version, undo, changes);
    case proto::StoreObject::kNode:
      return apply_action(action, wrapper.node(), version, undo, changes);
    case proto::StoreObject::kService:
      return apply_action(action, wrapper.service(), version, undo, changes);
    case proto::StoreObject::kTask:
      return apply_action(action, wrapper.task(), version, undo, changes);
    case proto::StoreObject::kNetwork:
      return apply_action(action, wrapper.network(), version, undo, changes);
    case proto::StoreObject::kSecret:
      return apply_action(action, wrapper.secret(), version, undo, changes);
    case proto::StoreObject::OBJECT_NOT_SET:
      break;
  }
  return Status::invalid_argument("store action holds no object");
}

Status Store::apply(const proto::StoreTransaction& transaction) {
  const std::uint64_t next_version = version_ + 1;
  const int count = transaction.actions_size();
  std::vector<Undo> undo;
  std::vector<Recorded> changes;
  changes.reserve(static_cast<std::size_t>(count));
  if (cost_ != nullptr) cost_->charge(Work::kStoreAction, static_cast<std::uint64_t>(count));

  if (!transaction.independent_actions()) {
    undo.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      const Status status = apply_action_any(transaction.actions(i), next_version, undo, changes);
      if (!status.is_ok()) {
        // Undo entries refer to `changes`, so revert before the vector goes away.
        for (auto it = undo.rbegin(); it != undo.rend(); ++it) it->revert();
        return status.with_context("action " + std::to_string(i));
      }
    }
    version_ = next_version;
    publish(changes);
    return Status::ok();
  }

  // Independent actions: a failing action changes nothing (every apply path checks before it
  // writes), so it is simply skipped.
  int failed = 0;
  Status first_failure;
  for (int i = 0; i < count; ++i) {
    undo.clear();
    const Status status = apply_action_any(transaction.actions(i), next_version, undo, changes);
    if (!status.is_ok() && failed++ == 0) {
      first_failure = status.with_context("action " + std::to_string(i));
    }
  }
  if (!changes.empty()) {
    version_ = next_version;
    publish(changes);
  }
  if (failed == 0) return Status::ok();
  return Status(first_failure.code(),
                std::to_string(failed) + " of " + std::to_string(count) +
                    " independent actions failed; first: " + first_failure.message());
}

void Store::publish(const std::vector<Recorded>& changes) {
  if (watchers_.empty()) return;
  // Watchers may add or remove watchers while being called; iterate over a copy.
  const std::vector<Watcher*> watchers = watchers_;
  for (const Recorded& change : changes) {
    const proto::StoreObject& sample =
        change.after.object_case() != proto::StoreObject::OBJECT_NOT_SET ? change.after
                                                                         : change.before;
    const auto make = [&change](const auto& typed) -> Event {
      using T = std::remove_cvref_t<decltype(typed)>;
      return Change<T>{object_in<T>(change.before), object_in<T>(change.after)};
    };
    std::optional<Event> event;
    switch (sample.object_case()) {
      case proto::StoreObject::kCluster:
        event = make(sample.cluster());
        break;
      case proto::StoreObject::kNode:
        event = make(sample.node());
        break;
      case proto::StoreObject::kService:
        event = make(sample.service());
        break;
      case proto::StoreObject::kTask:
        event = make(sample.task());
        break;
      case proto::StoreObject::kNetwork:
        event = make(sample.network());
        break;
      case proto::StoreObject::kSecret:
        event = make(sample.secret());
        break;
      case proto::StoreObject::OBJECT_NOT_SET:
        break;
    }
    if (!event) continue;
    for (Watcher* watcher : watchers) watcher->on_store_event(*event);
  }
  for (Watcher* watcher : watchers) watcher->on_store_commit(version_);
}

proto::StoreSnapshot Store::snapshot() const {
  proto::StoreSnapshot out;
  out.set_version(version_);
  for (const auto& [id, object] : table<proto::Cluster>().all()) *out.add_clusters() = object;
  for (const auto& [id, object] : table<proto::Node>().all()) *out.add_nodes() = object;
  for (const auto& [id, object] : table<proto::Service>().all()) *out.add_services() = object;
  for (const auto& [id, object] : table<proto::Task>().all()) *out.add_tasks() = object;
  for (const auto& [id, object] : table<proto::Network>().all()) *out.add_networks() = object;
  for (const auto& [id, object] : table<proto::Secret>().all()) *out.add_secrets() = object;
  if (cost_ != nullptr) cost_->charge(Work::kSnapshotByte, out.ByteSizeLong());
  return out;
}

template <typename T>
void Store::restore_table(const google::protobuf::RepeatedPtrField<T>& objects) {
  auto& table = std::get<Table<T>>(tables_);
  table.clear();
  for (const T& object : objects) table.put(object);
}

Status Store::restore(const proto::StoreSnapshot& snapshot) {
  // Validate before touching anything, so a bad snapshot loses no state.
  const auto check_ids = [](const auto& objects, ObjectKind kind) -> Status {
    std::set<std::string_view> seen;
    for (const auto& object : objects) {
      if (object.meta().id().empty() || !seen.insert(object.meta().id()).second) {
        return Status::corruption(std::string("store snapshot: ") +
                                  std::string(object_kind_name(kind)) + " with a missing or " +
                                  "duplicate id '" + object.meta().id() + "'");
      }
    }
    return Status::ok();
  };
  HERD_RETURN_IF_ERROR(check_ids(snapshot.clusters(), ObjectKind::kCluster));
  HERD_RETURN_IF_ERROR(check_ids(snapshot.nodes(), ObjectKind::kNode));
  HERD_RETURN_IF_ERROR(check_ids(snapshot.services(), ObjectKind::kService));
  HERD_RETURN_IF_ERROR(check_ids(snapshot.tasks(), ObjectKind::kTask));
  HERD_RETURN_IF_ERROR(check_ids(snapshot.networks(), ObjectKind::kNetwork));
  HERD_RETURN_IF_ERROR(check_ids(snapshot.secrets(), ObjectKind::kSecret));

  restore_table(snapshot.clusters());
  restore_table(snapshot.nodes());
  restore_table(snapshot.services());
  restore_table(snapshot.tasks());
  restore_table(snapshot.networks());
  restore_table(snapshot.secrets());
  version_ = snapshot.version();
  if (cost_ != nullptr) cost_->charge(Work::kSnapshotByte, snapshot.ByteSizeLong());
  const std::vector<Watcher*> watchers = watchers_;
  for (Watcher* watcher : watchers) watcher->on_store_reset();
  return Status::ok();
}

void Store::add_watcher(Watcher* watcher) { watchers_.push_back(watcher); }

void Store::remove_watcher(Watcher* watcher) {
  watchers_.erase(std::remove(watchers_.begin(), watchers_.end(), watcher), watchers_.end());
}

}  // namespace herd::store
