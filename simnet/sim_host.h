// SimHost: one simulated machine — its node, local clock, disk, CPU, network endpoint and task
// runtime — and the seam objects (Env) its node is built from.
//
// The host's clock reads virtual time × (10^6 + drift_ppm) / 10^6 + offset, so clock skew and
// drift are real to the node: its timers fire when its local clock reaches them. Every event for
// the host (timer, message, connection change) runs on one of its cores: if all are busy it
// waits; the CPU work its handler charges (CostMeter), scaled by the cpu.slow factor, plus any
// slow-disk stall, becomes busy time of that core. A crash destroys the node and its task runtime,
// drops its pending events (the epoch changes) and keeps only the disk's synced data; a restart
// rebuilds the node through its factory over the same disk. Deterministic.
#pragma once

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/runtime/env.h"
#include "simnet/cost_table.h"
#include "simnet/event_loop.h"
#include "simnet/sim_disk.h"
#include "simnet/sim_executor.h"

namespace herd::simnet {

class Simulation;
class SimHost;

// Whatever a host runs: a node built from the host's Env. Destroyed on crash.
class SimNode {
 public:
  virtual ~SimNode() = default;
};
// Called at every boot; may return nullptr for a host that runs nothing (a bare endpoint).
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
  bool up() const { return up_; }
  std::uint64_t epoch() const { return epoch_; }
  const HostSpec& spec() const { return spec_; }
  int host_link() const { return host_link_; }

  // Valid while the host is up.
  Env& env() { return *env_; }
  SimExecutor& executor() { return *executor_; }
  SimNode* node() { return node_.get(); }
  TransportHandler* handler() const { return handler_; }
  SimDisk& disk() { return disk_; }

  // Local time of this host.
  TimePoint local_now() const;
  // Virtual time at which the local clock reads `local` (the first such nanosecond).
  TimePoint global_time_of(TimePoint local) const;
  // Skew and drift (|drift_ppm| < 10^6 / 2); the local clock jumps, timers keep their local due
  // time only if armed afterwards (armed timers keep their virtual due time).
  void set_clock(Duration offset, std::int64_t drift_ppm);
  // cpu.slow: every charge costs `percent` / 100 times its table price (100 = normal).
  void set_cpu_factor_percent(std::int64_t percent) { cpu_factor_percent_ = percent; }

  // CPU ns charged per component since the start (for reports), and in total.
  const std::array<std::int64_t, kComponentCount>& cpu_ns() const { return cpu_ns_; }
  std::int64_t busy_ns() const { return busy_ns_; }
  // Events that had to wait for a core, and how long in total.
  std::uint64_t delayed_events() const { return delayed_events_; }
  std::int64_t wait_ns() const { return wait_ns_; }

  // Runs `fn` as an event of this host at virtual time `at` (never inside this call), waiting for
  // a free core, unless the host crashed in between (its epoch moved on).
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

  // Runs `fn` now on a free core, or re-queues it for when one frees up.
  void dispatch(std::uint64_t epoch, std::function<void()> fn, bool waited = false);

  Simulation& sim_;
  NodeId id_;
  std::string name_;
  int host_link_;
  HostSpec spec_;
  NodeFactory factory_;
  bool up_ = false;
  std::uint64_t epoch_ = 0;
  Duration clock_offset_{0};
  std::int64_t drift_ppm_ = 0;
  std::int64_t cpu_factor_percent_ = 100;
  std::vector<TimePoint> core_free_;
  std::array<std::int64_t, kComponentCount> cpu_ns_{};
  std::int64_t busy_ns_ = 0;
  std::int64_t current_work_ns_ = 0;
  std::uint64_t delayed_events_ = 0;
  std::int64_t wait_ns_ = 0;

  SimDisk disk_;
  Rng rng_;
  std::unique_ptr<Clock> clock_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<Meter> meter_;
  std::unique_ptr<Logger> logger_;
  std::unique_ptr<SimExecutor> executor_;
  std::unique_ptr<Env> env_;
  TransportHandler* handler_ = nullptr;
  std::unique_ptr<SimNode> node_;
};

}  // namespace herd::simnet
