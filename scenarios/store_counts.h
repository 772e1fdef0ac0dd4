// StoreCounts: a store's tasks and nodes counted by state, kept current by watching the store.
//
// The scenario runner samples every simulated second and the benchmarks poll for milestones
// ("70,000 tasks running"); walking 150,000 tasks each time would cost more than the cluster
// itself. A StoreCounts reads the store once when built and on every reset (snapshot restore),
// and otherwise moves one task or node between counters per store event. It only reads the
// store. Deterministic: ordered maps.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "core/store/store.h"

namespace herd::scenarios {

class StoreCounts final : public store::Watcher {
 public:
  // Tasks of one service that are wanted (desired state at most RUNNING), by what they do.
  struct Service {
    std::uint64_t wanted = 0;   // every wanted task (a global service's desired count)
    std::uint64_t running = 0;  // wanted and RUNNING
    std::uint64_t pending = 0;  // wanted and at most PENDING
  };

  explicit StoreCounts(const store::Store& store);

  std::uint64_t tasks() const { return tasks_; }
  std::uint64_t tasks_in(proto::TaskState state) const;
  const std::map<proto::TaskState, std::uint64_t>& tasks_by_state() const { return by_state_; }
  std::uint64_t nodes_in(proto::NodeState state) const;
  const std::map<proto::NodeState, std::uint64_t>& nodes_by_state() const { return nodes_; }
  // By service id; a service whose tasks are all unwanted or gone may linger with zeros.
  const std::map<std::string, Service, std::less<>>& services() const { return services_; }

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t) override {}
  void on_store_reset() override { rebuild(); }

 private:
  void rebuild();
  void count(const proto::Task& task, int sign);
  void count(const proto::Node& node, int sign);

  const store::Store& store_;
  std::uint64_t tasks_ = 0;
  std::map<proto::TaskState, std::uint64_t> by_state_;
  std::map<proto::NodeState, std::uint64_t> nodes_;
  std::map<std::string, Service, std::less<>> services_;
};

}  // namespace herd::scenarios
