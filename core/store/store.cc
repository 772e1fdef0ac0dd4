#include "core/store/store.h"

#include <algorithm>
#include <optional>
#include <set>

namespace herd::store {

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
void Store::keep_earlier_state(const T& row, std::uint64_t version,
                               std::vector<AnyRecord>& records) {
  if (row.meta().version() != version) return;  // not written yet by this transaction
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    auto* record = std::get_if<Record<T>>(&*it);
    if (record == nullptr || record->row != &row) continue;
    if (!record->after) record->after = row;
    return;
  }
}

template <typename T>
Status Store::apply_action(proto::StoreActionType type, T&& object, std::uint64_t version,
                           std::vector<AnyRecord>& records) {
  auto& table = std::get<Table<T>>(tables_);
  const std::string& id = object.meta().id();
  if (id.empty()) {
    return Status::invalid_argument(std::string(object_kind_name(ObjectTraits<T>::kKind)) +
                                    " without an id");
  }
  T* existing = table.find_mutable(id);
  using Kind = typename Record<T>::Kind;
  switch (type) {
    case proto::STORE_ACTION_CREATE: {
      if (existing != nullptr) return Status::already_exists(describe(object) + " already exists");
      HERD_RETURN_IF_ERROR(check_unique_name(table, object));
      object.mutable_meta()->set_version(version);
      Record<T> record;
      record.kind = Kind::kCreate;
      record.row = &table.insert(std::move(object));
      records.emplace_back(std::move(record));
      return Status::ok();
    }
    case proto::STORE_ACTION_UPDATE: {
      if (existing == nullptr) return Status::not_found(describe(object) + " does not exist");
      if (existing->meta().version() != object.meta().version()) {
        return Status::aborted(describe(object) + ": stale write, read version " +
                               std::to_string(object.meta().version()) + " but stored version is " +
                               std::to_string(existing->meta().version()));
      }
      HERD_RETURN_IF_ERROR(check_unique_name(table, object));
      keep_earlier_state(*existing, version, records);
      object.mutable_meta()->set_version(version);
      Record<T> record;
      record.kind = Kind::kUpdate;
      record.row = existing;
      record.before.emplace(std::move(*existing));
      *existing = std::move(object);
      table.reindex(*record.before, *existing);
      records.emplace_back(std::move(record));
      return Status::ok();
    }
    case proto::STORE_ACTION_REMOVE: {
      if (existing == nullptr) return Status::not_found(describe(object) + " does not exist");
      // Version 0 removes whatever is stored: the reaper and forced removals use it.
      if (object.meta().version() != 0 && existing->meta().version() != object.meta().version()) {
        return Status::aborted(describe(object) + ": stale remove, read version " +
                               std::to_string(object.meta().version()) + " but stored version is " +
                               std::to_string(existing->meta().version()));
      }
      keep_earlier_state(*existing, version, records);
      Record<T> record;
      record.kind = Kind::kRemove;
      record.removed = table.extract(id);
      records.emplace_back(std::move(record));
      return Status::ok();
    }
    default:
      return Status::invalid_argument("unknown store action type " +
                                      std::to_string(static_cast<int>(type)));
  }
}

Status Store::apply_task_status(proto::TaskStatusPatch& patch, std::uint64_t version,
                                std::vector<AnyRecord>& records) {
  auto& tasks = std::get<Table<proto::Task>>(tables_);
  proto::Task* existing = tasks.find_mutable(patch.task_id());
  if (existing == nullptr) {
    return Status::not_found("task " + patch.task_id() + " does not exist");
  }
  if (patch.version() != 0 && existing->meta().version() != patch.version()) {
    return Status::aborted("task " + patch.task_id() + ": stale status update, read version " +
                           std::to_string(patch.version()) + " but stored version is " +
                           std::to_string(existing->meta().version()));
  }
  keep_earlier_state(*existing, version, records);
  Record<proto::Task> record;
  record.kind = Record<proto::Task>::Kind::kUpdate;
  record.row = existing;
  record.before.emplace(*existing);
  if (!patch.node_id().empty()) existing->set_node_id(patch.node_id());
  *existing->mutable_status() = std::move(*patch.mutable_status());
  existing->mutable_meta()->set_version(version);
  tasks.reindex(*record.before, *existing);
  records.emplace_back(std::move(record));
  return Status::ok();
}

Status Store::apply_action_any(proto::StoreAction& action, std::uint64_t version,
                               std::vector<AnyRecord>& records) {
  if (action.type() == proto::STORE_ACTION_TASK_STATUS) {
    return apply_task_status(*action.mutable_task_status(), version, records);
  }
  proto::StoreObject& wrapper = *action.mutable_object();
  switch (wrapper.object_case()) {
    case proto::StoreObject::kCluster:
      return apply_action(action.type(), std::move(*wrapper.mutable_cluster()), version, records);
    case proto::StoreObject::kNode:
      return apply_action(action.type(), std::move(*wrapper.mutable_node()), version, records);
    case proto::StoreObject::kService:
      return apply_action(action.type(), std::move(*wrapper.mutable_service()), version, records);
    case proto::StoreObject::kTask:
      return apply_action(action.type(), std::move(*wrapper.mutable_task()), version, records);
    case proto::StoreObject::kNetwork:
      return apply_action(action.type(), std::move(*wrapper.mutable_network()), version, records);
    case proto::StoreObject::kSecret:
      return apply_action(action.type(), std::move(*wrapper.mutable_secret()), version, records);
    case proto::StoreObject::OBJECT_NOT_SET:
      break;
  }
  return Status::invalid_argument("store action holds no object");
}

void Store::undo(std::vector<AnyRecord>& records) {
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    std::visit(
        [this](auto& record) {
          using T = std::remove_cvref_t<decltype(*record.row)>;
          using Kind = typename Store::Record<T>::Kind;
          auto& table = std::get<Table<T>>(tables_);
          switch (record.kind) {
            case Kind::kCreate:
              (void)table.extract(record.row->meta().id());
              break;
            case Kind::kUpdate: {
              T current = std::move(*record.row);
              *record.row = std::move(*record.before);
              table.reindex(current, *record.row);
              break;
            }
            case Kind::kRemove:
              table.restore(std::move(record.removed));
              break;
          }
        },
        *it);
  }
}

Status Store::apply(proto::StoreTransaction&& transaction) {
  const std::uint64_t next_version = version_ + 1;
  const int count = transaction.actions_size();
  std::vector<AnyRecord> records;
  records.reserve(static_cast<std::size_t>(count));
  if (cost_ != nullptr) cost_->charge(Work::kStoreAction, static_cast<std::uint64_t>(count));

  if (!transaction.independent_actions()) {
    for (int i = 0; i < count; ++i) {
      const Status status =
          apply_action_any(*transaction.mutable_actions(i), next_version, records);
      if (!status.is_ok()) {
        undo(records);
        return status.with_context("action " + std::to_string(i));
      }
    }
    version_ = next_version;
    publish(records);
    return Status::ok();
  }

  // Independent actions: a failing action changes nothing (every apply path checks before it
  // writes), so it is simply skipped.
  int failed = 0;
  Status first_failure;
  for (int i = 0; i < count; ++i) {
    const Status status = apply_action_any(*transaction.mutable_actions(i), next_version, records);
    if (!status.is_ok() && failed++ == 0) {
      first_failure = status.with_context("action " + std::to_string(i));
    }
  }
  if (!records.empty()) {
    version_ = next_version;
    publish(records);
  }
  if (failed == 0) return Status::ok();
  return Status(first_failure.code(),
                std::to_string(failed) + " of " + std::to_string(count) +
                    " independent actions failed; first: " + first_failure.message());
}

void Store::publish(const std::vector<AnyRecord>& records) {
  if (watchers_.empty()) return;
  // Watchers may add or remove watchers while being called; iterate over a copy.
  const std::vector<Watcher*> watchers = watchers_;
  for (const AnyRecord& any : records) {
    const Event event = std::visit(
        [](const auto& record) -> Event {
          using T = std::remove_cvref_t<decltype(*record.row)>;
          using Kind = typename Store::Record<T>::Kind;
          const T* after = record.after ? &*record.after : record.row;
          switch (record.kind) {
            case Kind::kCreate:
              return Change<T>{nullptr, after};
            case Kind::kUpdate:
              return Change<T>{&*record.before, after};
            case Kind::kRemove:
              break;
          }
          return Change<T>{&record.removed.mapped(), nullptr};
        },
        any);
    for (Watcher* watcher : watchers) watcher->on_store_event(event);
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
