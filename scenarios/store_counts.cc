#include "scenarios/store_counts.h"

namespace herd::scenarios {
namespace {

template <typename Map, typename Key>
std::uint64_t lookup(const Map& map, Key key) {
  const auto it = map.find(key);
  return it == map.end() ? 0 : it->second;
}

void add(std::uint64_t& counter, int sign) { counter = sign > 0 ? counter + 1 : counter - 1; }

}  // namespace

StoreCounts::StoreCounts(const store::Store& store) : store_(store) { rebuild(); }

std::uint64_t StoreCounts::tasks_in(proto::TaskState state) const {
  return lookup(by_state_, state);
}

std::uint64_t StoreCounts::nodes_in(proto::NodeState state) const { return lookup(nodes_, state); }

void StoreCounts::rebuild() {
  tasks_ = 0;
  by_state_.clear();
  nodes_.clear();
  services_.clear();
  for (const auto& [id, task] : store_.table<proto::Task>().all()) count(task, +1);
  for (const auto& [id, node] : store_.table<proto::Node>().all()) count(node, +1);
}

void StoreCounts::count(const proto::Task& task, int sign) {
  add(tasks_, sign);
  add(by_state_[task.status().state()], sign);
  if (task.desired_state() > proto::TASK_STATE_RUNNING) return;
  auto it = services_.find(task.service_id());
  if (it == services_.end()) it = services_.emplace(task.service_id(), Service()).first;
  Service& service = it->second;
  add(service.wanted, sign);
  if (task.status().state() == proto::TASK_STATE_RUNNING) add(service.running, sign);
  if (task.status().state() <= proto::TASK_STATE_PENDING) add(service.pending, sign);
}

void StoreCounts::count(const proto::Node& node, int sign) {
  add(nodes_[node.status().state()], sign);
}

void StoreCounts::on_store_event(const store::Event& event) {
  if (const auto* task = std::get_if<store::Change<proto::Task>>(&event)) {
    if (task->before != nullptr) count(*task->before, -1);
    if (task->after != nullptr) count(*task->after, +1);
    return;
  }
  if (const auto* node = std::get_if<store::Change<proto::Node>>(&event)) {
    if (node->before != nullptr) count(*node->before, -1);
    if (node->after != nullptr) count(*node->after, +1);
  }
}

}  // namespace herd::scenarios
