// SimHost: one simulated machine — its node, local clock, disk, CPU, network endpoint and task
// runtime — and the seam objects (Env) its node is built from.
//
// The host's clock runs at (1 + drift_ppm / 10^6) × virtual time + offset, so clock skew and
// drift are real to the node: its timers fire when its local clock reaches them. Every event for
// the host (timer, message, connection change) runs on one of its cores: if all are busy it
// waits; the CPU work its handler charges (CostMeter) becomes busy time, scaled by `cpu_factor`.
// A crash destroys the node and its task runtime, drops its pending events (the epoch changes)
// and keeps only the disk's synced data; a restart rebuilds the node through its factory.
// Deterministic.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/agent/synthetic_executor.h"
#include "core/runtime/env.h"
#include "simnet/cost_table.h"
#include "simnet/event_loop.h"
#include "simnet/sim_disk.h"

namespace herd::simnet {

class Simulation;
class SimHost;

// Whatever a host runs: a node built from the host's Env. Destroyed on crash.
class SimNode {
 public:
  virtual ~SimNode() = default;
};
using NodeFactory = std::function<std::unique_ptr<SimNode>(SimHost& host)>;

struct HostSpec {
  int cores = 1;
  std::uint64_t memory_bytes = 1ULL << 30;
};

class SimHost {
 public:
  SimHost(Simulation& sim, NodeId id, std::string name, int host_link, HostSpec spec,
          NodeFactory factory);
  ~SimHost();
  SimHost(const SimHost&) = delete;
  SimHost& operator=(const SimHost&) = delete;

  NodeId id() const { return id_; }
  const std::string& name() const { return name_; }
  bool up() const { return node_ != nullptr; }
  std::uint64_t epoch() const { return epoch_; }
  const HostSpec& spec() const { return spec_; }
  int host_link() const { return host_link_; }

  Env& env() { return *env_; }
  SimDisk& disk() { return disk_; }
  agent::SyntheticExecutor& executor() { return *executor_; }
  SimNode* node() { return node_.get(); }
  TransportHandler* handler() const { return handler_; }

  // Local time of this host.
  TimePoint local_now() const;
  void set_clock(Duration offset, std::int64_t drift_ppm);
  void set_cpu_factor(std::int64_t factor_percent) { cpu_factor_percent_ = factor_percent; }

  // CPU seconds charged per component since the start (for reports).
  const std::array<std::int64_t, kComponentCount>& cpu_ns() const { return cpu_ns_; }
  std::int64_t busy_ns() const { return busy_ns_; }

  // Runs `fn` as an event of this host at virtual time `at`, waiting for a free core, unless the
  // host crashed in between (its epoch moved on).
  void run_at(TimePoint at, std::function<void()> fn);

  // Lifecycle, driven by Simulation.
  void boot();
  void crash();

  // Work charged by the handler running now, in ns of one core (for message departure times).
  std::int64_t current_work_ns() const { return current_work_ns_; }
  // Charges CPU work to this host (the node's CostMeter and the network both use it).
  void charge(Work work, std::uint64_t count);

 private:
  class Clock;
  class Transport;
  class Meter;
  friend class Clock;
  friend class Transport;
  friend class Meter;

  Simulation& sim_;
  NodeId id_;
  std::string name_;
  int host_link_;
  HostSpec spec_;
  NodeFactory factory_;
  std::uint64_t epoch_ = 0;
  Duration clock_offset_{0};
  std::int64_t drift_ppm_ = 0;
  std::int64_t cpu_factor_percent_ = 100;
  std::vector<TimePoint> core_free_;
  std::array<std::int64_t, kComponentCount> cpu_ns_{};
  std::int64_t busy_ns_ = 0;
  std::int64_t current_work_ns_ = 0;
  bool in_handler_ = false;

  SimDisk disk_;
  Rng rng_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Meter> meter_;
  std::unique_ptr<LogSink> log_sink_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<agent::SyntheticExecutor> executor_;
  std::unique_ptr<Env> env_;
  TransportHandler* handler_ = nullptr;
  std::unique_ptr<SimNode> node_;
};

}  // namespace herd::simnet
