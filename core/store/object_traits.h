// ObjectTraits<T>: what the store needs to know about each object type (Cluster, Node, Service,
// Task, Network, Secret) — its kind, how to reach its Meta, its unique name if it has one, and
// the secondary index keys it files under. One specialization per type keeps the generic Table
// free of per-type branches. Deterministic: index keys are strings in ordered maps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/objects.pb.h"
#include "proto/store.pb.h"

namespace herd::store {

enum class ObjectKind : std::uint8_t { kCluster, kNode, kService, kTask, kNetwork, kSecret };
inline constexpr int kObjectKindCount = 6;

std::string_view object_kind_name(ObjectKind kind);

// Secondary indexes. Each maps a key to the sorted ids of the objects filed under it.
enum class Index : std::uint8_t {
  kServiceId,     // tasks by service id
  kNodeId,        // tasks by assigned node id
  kSlot,          // tasks by "service_id/slot" (replicated) or "service_id@node_id" (global)
  kDesiredState,  // tasks by desired state number
  kRole,          // nodes by role number
  kHostname,      // nodes by hostname (not unique)
};
inline constexpr int kIndexCount = 6;

struct IndexKey {
  Index index;
  std::string key;
};

template <typename T>
struct ObjectTraits;

template <>
struct ObjectTraits<proto::Cluster> {
  static constexpr ObjectKind kKind = ObjectKind::kCluster;
  static const std::string* unique_name(const proto::Cluster& c) { return &c.spec().name(); }
  static std::vector<IndexKey> index_keys(const proto::Cluster&) { return {}; }
  static bool same_index_keys(const proto::Cluster&, const proto::Cluster&) { return true; }
};

template <>
struct ObjectTraits<proto::Node> {
  static constexpr ObjectKind kKind = ObjectKind::kNode;
  static const std::string* unique_name(const proto::Node&) { return nullptr; }
  static std::vector<IndexKey> index_keys(const proto::Node& n) {
    return {{Index::kRole, std::to_string(n.role())},
            {Index::kHostname, n.description().hostname()}};
  }
  // Whether a and b file under the same keys (saves building the keys on every write).
  static bool same_index_keys(const proto::Node& a, const proto::Node& b) {
    return a.role() == b.role() && a.description().hostname() == b.description().hostname();
  }
};

template <>
struct ObjectTraits<proto::Service> {
  static constexpr ObjectKind kKind = ObjectKind::kService;
  static const std::string* unique_name(const proto::Service& s) { return &s.spec().name(); }
  static std::vector<IndexKey> index_keys(const proto::Service&) { return {}; }
  static bool same_index_keys(const proto::Service&, const proto::Service&) { return true; }
};

// The slot key of a task: replicated tasks share a slot number within their service; global
// tasks have slot 0 and are keyed by their node instead.
std::string task_slot_key(const proto::Task& task);
std::string task_slot_key(std::string_view service_id, std::uint64_t slot);
std::string global_task_key(std::string_view service_id, std::string_view node_id);

template <>
struct ObjectTraits<proto::Task> {
  static constexpr ObjectKind kKind = ObjectKind::kTask;
  static const std::string* unique_name(const proto::Task&) { return nullptr; }
  static std::vector<IndexKey> index_keys(const proto::Task& t) {
    std::vector<IndexKey> keys{{Index::kServiceId, t.service_id()},
                               {Index::kSlot, task_slot_key(t)},
                               {Index::kDesiredState, std::to_string(t.desired_state())}};
    if (!t.node_id().empty()) keys.push_back({Index::kNodeId, t.node_id()});
    return keys;
  }
  // A status update moves a task in no index; only these fields decide its keys.
  static bool same_index_keys(const proto::Task& a, const proto::Task& b) {
    return a.desired_state() == b.desired_state() && a.slot() == b.slot() &&
           a.node_id() == b.node_id() && a.service_id() == b.service_id();
  }
};

template <>
struct ObjectTraits<proto::Network> {
  static constexpr ObjectKind kKind = ObjectKind::kNetwork;
  static const std::string* unique_name(const proto::Network& n) { return &n.spec().name(); }
  static std::vector<IndexKey> index_keys(const proto::Network&) { return {}; }
  static bool same_index_keys(const proto::Network&, const proto::Network&) { return true; }
};

template <>
struct ObjectTraits<proto::Secret> {
  static constexpr ObjectKind kKind = ObjectKind::kSecret;
  static const std::string* unique_name(const proto::Secret& s) { return &s.spec().name(); }
  static std::vector<IndexKey> index_keys(const proto::Secret&) { return {}; }
  static bool same_index_keys(const proto::Secret&, const proto::Secret&) { return true; }
};

// The object held by a StoreObject wrapper, or nullptr when it holds another type.
template <typename T>
const T* object_in(const proto::StoreObject& wrapper);
template <typename T>
T* mutable_object_in(proto::StoreObject& wrapper);

}  // namespace herd::store
