#include "core/manager/scheduler/scheduler.h"

#include <algorithm>
#include <memory>

#include "core/manager/scheduler/constraint.h"

namespace herd::manager {
namespace {

bool is_pending(const proto::Task& task) {
  return task.status().state() == proto::TASK_STATE_PENDING &&
         task.desired_state() <= proto::TASK_STATE_RUNNING;
}

// A task holds resources, ports and spread weight on its node from assignment until it ends.
bool is_counted(const proto::Task& task) {
  return !task.node_id().empty() && task.status().state() >= proto::TASK_STATE_ASSIGNED &&
         task.status().state() <= proto::TASK_STATE_RUNNING;
}

bool is_failure(proto::TaskState state) {
  return state == proto::TASK_STATE_FAILED || state == proto::TASK_STATE_REJECTED;
}

std::int64_t reserved_cpus(const proto::Task& task) {
  return task.spec().resources().reservations().nano_cpus();
}
std::int64_t reserved_memory(const proto::Task& task) {
  return task.spec().resources().reservations().memory_bytes();
}

bool platform_matches(const proto::Placement& placement, const proto::Node& node) {
  if (placement.platforms().empty()) return true;
  const proto::Platform& have = node.description().platform();
  for (const proto::Platform& want : placement.platforms()) {
    const bool os_ok = want.os().empty() || want.os() == have.os();
    const bool arch_ok = want.architecture().empty() || want.architecture() == have.architecture();
    if (os_ok && arch_ok) return true;
  }
  return false;
}

}  // namespace

// Pending tasks of one service at one spec version: they share filters and ranking.
struct Scheduler::Group {
  std::vector<TaskSet::iterator> tasks;  // entries of pending_
};

struct Scheduler::Candidate {
  NodeState* state;
  std::uint32_t ordinal;        // rank of the node id among all nodes: the final tie-break
  std::uint32_t service_count;  // tasks of this group's service on the node, kept current
  bool failing;                 // >= kMaxFailures recent failures of the service
  std::uint64_t total_tasks;    // copy of state->total_tasks, kept current, read by every compare
  // The node's counter for this service, found once on the node's first assignment.
  std::map<std::string, std::uint32_t, std::less<>>::iterator service_entry{};
  bool has_service_entry = false;
};

// One level of spread preferences; leaves hold a heap of candidate nodes.
struct Scheduler::Bucket {
  std::string value;
  std::uint64_t service_tasks = 0;
  bool exhausted = false;
  std::vector<Bucket> children;
  std::vector<Candidate> heap;
};

namespace {

// std heaps keep the greatest element on top, so "greater" here means "ranks better".
struct RanksBelow {
  bool operator()(const auto& a, const auto& b) const {
    if (a.failing != b.failing) return a.failing;
    if (a.service_count != b.service_count) return a.service_count > b.service_count;
    if (a.total_tasks != b.total_tasks) return a.total_tasks > b.total_tasks;
    return a.ordinal > b.ordinal;
  }
};

constexpr const char* kAssignedMessage = "scheduler assigned task to node";

}  // namespace

Scheduler::Scheduler(store::Store& store, CostMeter* cost) : store_(store), cost_(cost) {
  store_.add_watcher(this);
  rebuild();
}

Scheduler::~Scheduler() { store_.remove_watcher(this); }

void Scheduler::reset() { rebuild(); }

void Scheduler::rebuild() {
  nodes_.clear();
  pending_.clear();
  in_flight_.clear();
  for (const auto& [id, node] : store_.table<proto::Node>().all()) {
    NodeState& state = nodes_[id];
    state.node = &node;
    state.free_nano_cpus = node.description().resources().nano_cpus();
    state.free_memory = node.description().resources().memory_bytes();
  }
  for (const auto& [id, task] : store_.table<proto::Task>().all()) {
    if (is_counted(task)) count_task(task, task.node_id(), +1);
    if (is_pending(task)) pending_.emplace(id, &task);
  }
  dirty_ = true;
}

std::vector<std::uint32_t> Scheduler::host_ports_of(const proto::Task& task) const {
  std::vector<std::uint32_t> ports;
  for (const proto::PortConfig& port : task.endpoint().ports()) {
    if (port.publish_mode() == proto::PUBLISH_MODE_HOST && port.published_port() != 0) {
      ports.push_back((static_cast<std::uint32_t>(port.protocol()) << 16) | port.published_port());
    }
  }
  return ports;
}

void Scheduler::count_task(const proto::Task& task, const std::string& node_id, int sign) {
  const auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return;
  count_on(it->second, task, sign);
  auto count = it->second.service_tasks.find(task.service_id());
  if (sign > 0) {
    if (count == it->second.service_tasks.end()) {
      count = it->second.service_tasks.emplace(task.service_id(), 0).first;
    }
    ++count->second;
  } else if (count != it->second.service_tasks.end() && --count->second == 0) {
    it->second.service_tasks.erase(count);
  }
}

// Everything but the per-service count, which the batch path keeps through its candidates.
void Scheduler::count_on(NodeState& state, const proto::Task& task, int sign) {
  state.free_nano_cpus -= sign * reserved_cpus(task);
  state.free_memory -= sign * reserved_memory(task);
  state.total_tasks += static_cast<std::uint64_t>(static_cast<std::int64_t>(sign));
  if (task.endpoint().ports().empty()) return;
  for (std::uint32_t port : host_ports_of(task)) {
    if (sign > 0) {
      state.host_ports.insert(port);
    } else {
      state.host_ports.erase(port);
    }
  }
}

void Scheduler::on_store_event(const store::Event& event) {
  if (const auto* node = std::get_if<store::Change<proto::Node>>(&event)) {
    if (node->removed()) {
      nodes_.erase(node->before->meta().id());
    } else {
      const bool is_new = nodes_.find(node->after->meta().id()) == nodes_.end();
      NodeState& state = nodes_[node->after->meta().id()];
      if (is_new) {
        // Resources are tracked as free = capacity - reserved; a new node starts empty.
        state.free_nano_cpus = 0;
        state.free_memory = 0;
      } else {
        const proto::Resources& old_capacity = state.node->description().resources();
        state.free_nano_cpus -= old_capacity.nano_cpus();
        state.free_memory -= old_capacity.memory_bytes();
      }
      // Event objects live only during the callback; keep a pointer into the store's table.
      state.node = store_.get<proto::Node>(node->after->meta().id());
      state.free_nano_cpus += state.node->description().resources().nano_cpus();
      state.free_memory += state.node->description().resources().memory_bytes();
    }
    dirty_ = true;
    return;
  }
  if (const auto* task = std::get_if<store::Change<proto::Task>>(&event)) {
    on_task(task->before, task->after);
  }
}

void Scheduler::on_task(const proto::Task* before, const proto::Task* after) {
  const std::string& id = after != nullptr ? after->meta().id() : before->meta().id();
  const auto flight = in_flight_.find(id);
  if (flight != in_flight_.end()) {
    // Our own decision committing: it was counted when made. Anything else racing it makes its
    // transaction fail, and the manager then resets us.
    if (after != nullptr && is_counted(*after)) in_flight_.erase(flight);
  } else {
    if (before != nullptr && is_counted(*before)) {
      count_task(*before, before->node_id(), -1);
      dirty_ = true;  // freed resources may let a pending task in
    }
    if (after != nullptr && is_counted(*after)) count_task(*after, after->node_id(), +1);
  }
  if (before != nullptr && after != nullptr && !after->node_id().empty() &&
      !is_failure(before->status().state()) && is_failure(after->status().state())) {
    const auto node = nodes_.find(after->node_id());
    if (node != nodes_.end()) {
      node->second.failures[after->service_id()].push_back(after->status().timestamp_ns());
    }
  }
  if (after != nullptr && is_pending(*after) && in_flight_.find(id) == in_flight_.end()) {
    // Event objects live only during the callback; keep a pointer into the store's table.
    const auto [entry, inserted] = pending_.insert_or_assign(id, store_.get<proto::Task>(id));
    if (inserted) dirty_ = true;
  } else {
    pending_.erase(id);
  }
}

Scheduler::Decisions Scheduler::schedule(TimePoint now) {
  Decisions out;
  dirty_ = false;
  if (pending_.empty()) return out;
  // Group by (service, spec version); std::map keeps the order deterministic.
  std::map<std::pair<std::string_view, std::uint64_t>, Group> groups;
  for (auto it = pending_.begin(); it != pending_.end(); ++it) {
    groups[{it->second->service_id(), it->second->spec_version()}].tasks.push_back(it);
  }
  for (const auto& [key, group] : groups) place_group(group, now, out);
  if (cost_ != nullptr) cost_->charge(Work::kSchedulerTask, out.assigned + out.unplaceable);
  placed_ += out.assigned;
  return out;
}

proto::StoreAction& Scheduler::next_action(Decisions& out) {
  if (out.transactions.empty() ||
      out.transactions.back()->actions_size() >= kActionsPerTransaction) {
    out.transactions.push_back(
        google::protobuf::Arena::CreateMessage<proto::StoreTransaction>(out.arena.get()));
    out.transactions.back()->set_independent_actions(true);
  }
  proto::StoreAction* action = out.transactions.back()->add_actions();
  action->set_type(proto::STORE_ACTION_TASK_STATUS);
  return *action;
}

void Scheduler::place_group(const Group& group, TimePoint now, Decisions& out) {
  const proto::Task& sample = *group.tasks.front()->second;
  const proto::Placement& placement = sample.spec().placement();
  const std::int64_t need_cpus = reserved_cpus(sample);
  const std::int64_t need_memory = reserved_memory(sample);
  const std::vector<std::uint32_t> ports = host_ports_of(sample);
  const std::int64_t now_ns = to_nanos(now);
  const std::int64_t failure_horizon = now_ns - kFailureWindow.count();

  const auto unplaceable = [&](const proto::Task& task, const std::string& reason) {
    ++out.unplaceable;
    if (task.status().pending_reason() == reason) return;
    proto::TaskStatusPatch* patch = next_action(out).mutable_task_status();
    patch->set_task_id(task.meta().id());
    patch->set_version(task.meta().version());
    *patch->mutable_status() = task.status();
    patch->mutable_status()->set_pending_reason(reason);
  };

  Result<std::vector<Constraint>> constraints = parse_constraints(placement.constraints());
  std::vector<SpreadPreference> preferences;
  Status parse_status = constraints.status();
  for (const std::string& text : placement.preferences()) {
    if (!parse_status.is_ok()) break;
    Result<SpreadPreference> preference = parse_preference(text);
    if (!preference.ok()) {
      parse_status = preference.status();
    } else {
      preferences.push_back(std::move(preference).value());
    }
  }
  if (!parse_status.is_ok()) {
    for (const auto& entry : group.tasks) unplaceable(*entry->second, parse_status.message());
    return;
  }

  // Filter names in pipeline order, and how many nodes each one turned away.
  std::vector<std::string> filter_names = {"node ready", "availability active", "platform"};
  for (const Constraint& constraint : *constraints)
    filter_names.push_back("constraint " + constraint.text);
  filter_names.push_back("host ports");
  filter_names.push_back("resources");
  std::vector<std::uint32_t> rejected(filter_names.size(), 0);
  const std::size_t ports_filter = filter_names.size() - 2;
  const std::size_t resources_filter = filter_names.size() - 1;

  const auto fits = [&](const NodeState& state) {
    return state.free_nano_cpus >= need_cpus && state.free_memory >= need_memory;
  };
  const auto ports_free = [&](const NodeState& state) {
    for (std::uint32_t port : ports) {
      if (state.host_ports.count(port) != 0) return false;
    }
    return true;
  };
  // The first filter that turns `state` away, or filter_names.size() when it passes them all.
  const auto first_failing_filter = [&](const NodeState& state) -> std::size_t {
    const proto::Node& node = *state.node;
    if (node.status().state() != proto::NODE_STATE_READY) return 0;
    if (node.spec().availability() != proto::NODE_AVAILABILITY_ACTIVE) return 1;
    if (!platform_matches(placement, node)) return 2;
    for (std::size_t i = 0; i < constraints->size(); ++i) {
      if (!(*constraints)[i].matches(node)) return 3 + i;
    }
    if (!ports_free(state)) return ports_filter;
    if (!fits(state)) return resources_filter;
    return filter_names.size();
  };
  const auto recent_failures = [&](NodeState& state) {
    const auto it = state.failures.find(sample.service_id());
    if (it == state.failures.end()) return std::size_t{0};
    auto& times = it->second;
    while (!times.empty() && times.front() < failure_horizon) times.pop_front();
    return times.size();
  };
  const auto summary = [&](std::size_t examined) {
    if (examined == 0) return std::string("no suitable node (no nodes in the cluster)");
    std::string reason = "no suitable node (";
    std::size_t reaching = examined;
    bool first = true;
    for (std::size_t i = 0; i < filter_names.size(); ++i) {
      if (rejected[i] == 0) continue;
      if (!first) reason += "; ";
      first = false;
      reason += filter_names[i] + ": " + std::to_string(reaching - rejected[i]) + "/" +
                std::to_string(reaching);
      reaching -= rejected[i];
    }
    if (first)
      reason += "insufficient resources or host ports on " + std::to_string(examined) + " nodes";
    return reason + ")";
  };

  // Records the decision and counts it at once; the task moves from pending_ to in_flight_.
  // `candidate` is null for a task bound to its node (global services).
  TaskSet::iterator flight_hint = in_flight_.end();
  const auto assign = [&](std::size_t index, NodeState& state, Candidate* candidate) {
    const proto::Task& task = *group.tasks[index]->second;
    const std::string& node_id = state.node->meta().id();
    proto::TaskStatusPatch* patch = next_action(out).mutable_task_status();
    patch->set_task_id(task.meta().id());
    patch->set_version(task.meta().version());
    patch->set_node_id(node_id);
    proto::TaskStatus* status = patch->mutable_status();
    status->set_state(proto::TASK_STATE_ASSIGNED);
    status->set_timestamp_ns(now_ns);
    status->set_message(kAssignedMessage);
    if (candidate == nullptr) {
      count_task(task, node_id, +1);
    } else {
      count_on(state, task, +1);
      if (!candidate->has_service_entry) {
        candidate->service_entry = state.service_tasks.try_emplace(task.service_id(), 0).first;
        candidate->has_service_entry = true;
      }
      ++candidate->service_entry->second;
      candidate->total_tasks = state.total_tasks;
    }
    // Tasks of a group come in id order, so the hint usually makes this insert O(1).
    flight_hint = std::next(in_flight_.insert(flight_hint, pending_.extract(group.tasks[index])));
    ++out.assigned;
  };

  // Tasks already bound to a node (global services) only need that node to pass the filters.
  std::vector<std::size_t> free_tasks;
  for (std::size_t index = 0; index < group.tasks.size(); ++index) {
    const proto::Task* task = group.tasks[index]->second;
    if (task->node_id().empty()) {
      free_tasks.push_back(index);
      continue;
    }
    const auto node = nodes_.find(task->node_id());
    if (node == nodes_.end() || node->second.node == nullptr) {
      unplaceable(*task, "no suitable node (node " + task->node_id() + " is not in the cluster)");
      continue;
    }
    std::fill(rejected.begin(), rejected.end(), 0);
    const std::size_t failed = first_failing_filter(node->second);
    if (failed == filter_names.size()) {
      assign(index, node->second, nullptr);
    } else {
      ++rejected[failed];
      unplaceable(*task, summary(1));
    }
  }
  if (free_tasks.empty()) return;

  // Filter every node once for the whole batch.
  std::fill(rejected.begin(), rejected.end(), 0);
  Bucket root;
  std::uint32_t ordinal = 0;
  std::size_t examined = 0;
  for (auto& [id, state] : nodes_) {
    if (state.node == nullptr) continue;
    ++examined;
    const std::size_t failed = first_failing_filter(state);
    if (failed != filter_names.size()) {
      ++rejected[failed];
      ++ordinal;
      continue;
    }
    const auto count = state.service_tasks.find(sample.service_id());
    const std::uint32_t service_count = count == state.service_tasks.end() ? 0 : count->second;
    Bucket* bucket = &root;
    bucket->service_tasks += service_count;
    for (const SpreadPreference& preference : preferences) {
      const std::string& value = preference.value_of(*state.node);
      auto child = std::find_if(bucket->children.begin(), bucket->children.end(),
                                [&](const Bucket& b) { return b.value == value; });
      if (child == bucket->children.end()) {
        bucket->children.push_back(Bucket{value, 0, false, {}, {}});
        child = bucket->children.end() - 1;
      }
      bucket = &*child;
      bucket->service_tasks += service_count;
    }
    bucket->heap.push_back(Candidate{
        &state, ordinal++, service_count,
        recent_failures(state) >= static_cast<std::size_t>(kMaxFailures), state.total_tasks});
  }
  if (cost_ != nullptr) cost_->charge(Work::kSchedulerNode, examined);

  // Children in value order, so ties between equal buckets break the same way everywhere.
  const auto prepare = [](auto& self, Bucket& bucket) -> void {
    std::sort(bucket.children.begin(), bucket.children.end(),
              [](const Bucket& a, const Bucket& b) { return a.value < b.value; });
    for (Bucket& child : bucket.children) self(self, child);
    std::make_heap(bucket.heap.begin(), bucket.heap.end(), RanksBelow());
  };
  prepare(prepare, root);

  // Picks the best node under `bucket` that can still take a task, or null when none can.
  const auto pick = [&](auto& self, Bucket& bucket) -> Candidate* {
    if (bucket.exhausted) return nullptr;
    if (bucket.children.empty()) {
      while (!bucket.heap.empty()) {
        Candidate& top = bucket.heap.front();
        const bool has_ports = ports_free(*top.state);
        if (has_ports && fits(*top.state)) return &top;
        ++rejected[has_ports ? resources_filter : ports_filter];
        std::pop_heap(bucket.heap.begin(), bucket.heap.end(), RanksBelow());
        bucket.heap.pop_back();
      }
      bucket.exhausted = true;
      return nullptr;
    }
    for (;;) {
      Bucket* best = nullptr;
      for (Bucket& child : bucket.children) {
        if (!child.exhausted && (best == nullptr || child.service_tasks < best->service_tasks)) {
          best = &child;
        }
      }
      if (best == nullptr) {
        bucket.exhausted = true;
        return nullptr;
      }
      if (Candidate* chosen = self(self, *best)) return chosen;
    }
  };
  std::string exhausted_reason;
  for (const std::size_t index : free_tasks) {
    const proto::Task* task = group.tasks[index]->second;
    Candidate* chosen = pick(pick, root);
    if (chosen == nullptr) {
      // Every node that passed the filters filled up during this batch; pick() counted why.
      if (exhausted_reason.empty()) exhausted_reason = summary(examined);
      unplaceable(*task, exhausted_reason);
      continue;
    }
    NodeState& state = *chosen->state;
    assign(index, state, chosen);
    // Charge every bucket on the preference path; `chosen` is the top of the leaf's heap.
    Bucket* bucket = &root;
    ++bucket->service_tasks;
    for (const SpreadPreference& preference : preferences) {
      const std::string& value = preference.value_of(*state.node);
      bucket = &*std::find_if(bucket->children.begin(), bucket->children.end(),
                              [&](const Bucket& b) { return b.value == value; });
      ++bucket->service_tasks;
    }
    // Only the top's rank changed (one more task of the service and overall): re-seat it.
    ++chosen->service_count;
    std::pop_heap(bucket->heap.begin(), bucket->heap.end(), RanksBelow());
    std::push_heap(bucket->heap.begin(), bucket->heap.end(), RanksBelow());
  }
}

}  // namespace herd::manager
