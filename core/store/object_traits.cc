#include "core/store/object_traits.h"

namespace herd::store {

std::string_view object_kind_name(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kCluster:
      return "cluster";
    case ObjectKind::kNode:
      return "node";
    case ObjectKind::kService:
      return "service";
    case ObjectKind::kTask:
      return "task";
    case ObjectKind::kNetwork:
      return "network";
    case ObjectKind::kSecret:
      return "secret";
  }
  return "unknown";
}

std::string task_slot_key(std::string_view service_id, std::uint64_t slot) {
  std::string key(service_id);
  key += '/';
  key += std::to_string(slot);
  return key;
}

std::string global_task_key(std::string_view service_id, std::string_view node_id) {
  std::string key(service_id);
  key += '@';
  key += node_id;
  return key;
}

std::string task_slot_key(const proto::Task& task) {
  if (task.slot() != 0) return task_slot_key(task.service_id(), task.slot());
  return global_task_key(task.service_id(), task.node_id());
}

#define HERD_STORE_OBJECT_ACCESS(Type, field)                                    \
  template <>                                                                    \
  const proto::Type* object_in<proto::Type>(const proto::StoreObject& wrapper) { \
    return wrapper.has_##field() ? &wrapper.field() : nullptr;                   \
  }                                                                              \
  template <>                                                                    \
  proto::Type* mutable_object_in<proto::Type>(proto::StoreObject & wrapper) {    \
    return wrapper.mutable_##field();                                            \
  }

HERD_STORE_OBJECT_ACCESS(Cluster, cluster)
HERD_STORE_OBJECT_ACCESS(Node, node)
HERD_STORE_OBJECT_ACCESS(Service, service)
HERD_STORE_OBJECT_ACCESS(Task, task)
HERD_STORE_OBJECT_ACCESS(Network, network)
HERD_STORE_OBJECT_ACCESS(Secret, secret)

#undef HERD_STORE_OBJECT_ACCESS

}  // namespace herd::store
