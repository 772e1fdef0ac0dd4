#include "scenarios/invariants.h"

#include "core/manager/scheduler/constraint.h"

namespace herd::scenarios {

void InvariantChecker::violate(const std::string& invariant, std::vector<std::string> hosts,
                               std::string detail) {
  const std::string key = invariant + "|" + detail;
  if (!reported_.insert(key).second) return;
  violations_.push_back(Violation{invariant, now_, std::move(hosts), position_, std::move(detail)});
}

void InvariantChecker::inject_violation(const std::string& invariant, const std::string& detail) {
  violate(invariant, {}, detail);
}

std::map<std::string, std::size_t> InvariantChecker::counts() const {
  std::map<std::string, std::size_t> counts;
  for (const Violation& v : violations_) ++counts[v.invariant];
  return counts;
}

void InvariantChecker::observe_leader(const std::string& host, std::uint64_t term) {
  const auto [it, inserted] = leaders_.emplace(term, host);
  if (inserted) last_leader_change_ = now_;
  if (!inserted && it->second != host) {
    violate("one_leader_per_term", {it->second, host},
            "two leaders in term " + std::to_string(term) + ": " + it->second + " and " + host);
  }
}

void InvariantChecker::observe_applied(const std::string& host, std::uint64_t index,
                                       std::uint64_t entry_hash) {
  const auto [it, inserted] = applied_.emplace(index, std::make_pair(entry_hash, host));
  if (!inserted && it->second.first != entry_hash) {
    violate("log_matching", {it->second.second, host},
            "index " + std::to_string(index) + " applied differently on " + it->second.second +
                " and " + host);
  }
}

void InvariantChecker::observe_acknowledged_write(const std::string& description,
                                                  const std::string& object_id, bool removal) {
  acknowledged_[object_id] = Acknowledged{description, removal};
}

void InvariantChecker::observe_crash(const std::string& host, const std::string& node_id) {
  crashed_[host] = {node_id, now_};
}

void InvariantChecker::observe_restart(const std::string& host) { crashed_.erase(host); }

void InvariantChecker::check_store(const store::Store& store, const RunningTasks& running_on) {
  // Down detection: a crashed node must be DOWN once the bound has passed.
  for (const auto& [host, crash] : crashed_) {
    const auto& [node_id, when] = crash;
    const proto::Node* node = store.get<proto::Node>(node_id);
    if (node == nullptr) continue;
    // A leader elected since the crash starts counting afresh, with its longer grace.
    const TimePoint deadline = last_leader_change_ >= when
                                   ? last_leader_change_ + bounds_.down_bound_after_leader_change()
                                   : when + bounds_.down_bound();
    if (now_ <= deadline) continue;
    if (node->status().state() != proto::NODE_STATE_DOWN) {
      violate("down_detection", {host},
              host + " crashed at " + format_duration(when.time_since_epoch()) + " and is still " +
                  (node->status().state() == proto::NODE_STATE_READY ? "ready" : "not down") +
                  " after " + format_duration(now_ - when));
    }
  }
  for (const auto& [id, node] : store.table<proto::Node>().all()) {
    if (node.status().state() == proto::NODE_STATE_DOWN) {
      down_since_.try_emplace(id, now_);
    } else {
      down_since_.erase(id);
    }
  }
  // Placement: tasks really running on nodes that should not run them. The same pass counts,
  // per service, the tasks that run and are wanted running, for the replica bound below.
  std::map<std::string, std::uint64_t> running;
  for (const auto& [node_id, task_ids] : running_on) {
    const proto::Node* node = store.get<proto::Node>(node_id);
    if (node == nullptr) continue;
    const auto down = down_since_.find(node_id);
    const bool long_down = down != down_since_.end() &&
                           now_ - down->second > bounds_.down_bound() + bounds_.heartbeat_period;
    for (const std::string& task_id : task_ids) {
      const proto::Task* task = store.get<proto::Task>(task_id);
      if (task == nullptr) continue;
      if (task->desired_state() <= proto::TASK_STATE_RUNNING) ++running[task->service_id()];
      const std::string& host = node->description().hostname();
      if (node->spec().availability() == proto::NODE_AVAILABILITY_DRAIN &&
          task->desired_state() <= proto::TASK_STATE_RUNNING) {
        violate("placement", {host},
                "task " + task_id + " of " + task->service_name() +
                    " is desired running on drained node " + host);
      }
      if (long_down && task->desired_state() <= proto::TASK_STATE_RUNNING) {
        violate("placement", {host},
                "task " + task_id + " is still desired running on " + host + ", down since " +
                    format_duration(down->second.time_since_epoch()));
      }
      if (task->spec().placement().constraints().empty()) continue;
      Result<std::vector<manager::Constraint>> constraints =
          manager::parse_constraints(task->spec().placement().constraints());
      if (!constraints.ok()) continue;
      for (const manager::Constraint& constraint : *constraints) {
        if (!constraint.matches(*node)) {
          violate("placement", {host},
                  "task " + task_id + " runs on " + host + " which fails its constraint '" +
                      constraint.text + "'");
        }
      }
    }
  }
  // Replica bound: tasks that run and are wanted running, per replicated service, stay within
  // replicas + update parallelism. Tasks already told to stop but still running on a node that
  // cannot hear it (partitioned, down) are on their way out and do not count, as in SwarmKit.
  for (const auto& [service_id, count] : running) {
    const proto::Service* service = store.get<proto::Service>(service_id);
    if (service == nullptr || service->spec().mode() != proto::SERVICE_MODE_REPLICATED) continue;
    const std::uint64_t parallelism =
        std::max<std::uint64_t>(service->spec().update().parallelism(), 1);
    const std::uint64_t limit = service->spec().replicas() + parallelism;
    if (count > limit) {
      violate("replica_bound", {},
              service->spec().name() + " has " + std::to_string(count) +
                  " running tasks, more than " + std::to_string(limit) +
                  " (replicas + update parallelism)");
    }
  }
}

void InvariantChecker::check_final(const store::Store& store) {
  for (const auto& [object_id, write] : acknowledged_) {
    const bool present = store.get<proto::Service>(object_id) != nullptr ||
                         store.get<proto::Node>(object_id) != nullptr ||
                         store.get<proto::Network>(object_id) != nullptr ||
                         store.get<proto::Secret>(object_id) != nullptr;
    if (present == write.removal) {
      violate("acknowledged_writes", {},
              "acknowledged write lost: " + write.description + " (" + object_id + ")");
    }
  }
}

}  // namespace herd::scenarios
