// UpdateSupervisor: rolling updates and rollbacks (SwarmKit's update supervisor).
//
// When a service's spec version moves on, the slots whose active task runs an older version
// (or that hold more than one active task) are dirty. They are updated `parallelism` at a time
// (0: all at once): stop-first shuts the old task down as it creates the new one; start-first
// starts the new one and shuts the old one down once the new one runs. A batch is done when each
// new task has run for the `monitor` window; then the supervisor waits `delay` and takes the next
// batch. A new task that ends before it ran, or within the monitor window, is a failure; when
// failures / dirty slots exceed `max_failure_ratio` the failure action applies: pause (status
// PAUSED, nothing more happens until the next update), continue, or rollback (the previous spec
// comes back as a new version, with the rollback config; a failing rollback pauses). The
// service's update status (UPDATING, PAUSED, COMPLETED, ROLLBACK_STARTED, ROLLBACK_PAUSED,
// ROLLBACK_COMPLETED) is kept in the store for `service inspect`. Leader-only; deterministic.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>

#include "core/manager/leader_context.h"
#include "core/manager/orchestrator/dirty_services.h"

namespace herd::manager {

class UpdateSupervisor final : public store::Watcher {
 public:
  explicit UpdateSupervisor(LeaderContext& context);
  ~UpdateSupervisor() override;
  UpdateSupervisor(const UpdateSupervisor&) = delete;
  UpdateSupervisor& operator=(const UpdateSupervisor&) = delete;

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t version) override;
  void on_store_reset() override;

 private:
  struct Tracked {
    std::string old_task_id;  // start-first: shut down once the new task runs
    std::optional<TimePoint> running_since;
    bool failed = false;
  };
  // One service's update towards one spec version.
  struct Run {
    std::uint64_t spec_version = 0;
    std::map<std::string, Tracked, std::less<>> batch;  // new task id -> progress
    std::size_t dirty_at_start = 0;
    std::size_t failures = 0;
    std::optional<TimePoint> next_batch_at;  // after `delay`
  };

  void step_dirty();
  void step(const std::string& service_id);
  void set_status(const proto::Service& service, proto::UpdateState state,
                  const std::string& message);
  void rollback(const proto::Service& service, const std::string& message);
  void wake_at(TimePoint when);
  void propose(const std::string& service_id, proto::StoreTransaction transaction);

  LeaderContext& context_;
  std::map<std::string, Run, std::less<>> runs_;
  ServiceIdSet dirty_;
  ServiceIdSet in_flight_;
  std::map<TimePoint, TimerId> wakeups_;
};

}  // namespace herd::manager
