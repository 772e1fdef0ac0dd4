// ClusterDriver: a whole herd cluster in simnet (scenarios::SimCluster) driven by a benchmark:
// form it, wait for milestones read from the managers' store counters, send control requests,
// and take wall-clock, memory and cost-model readings between milestones.
//
// Benchmarks only: it reads the wall clock and /proc, which the simulation itself never does, and
// nothing it measures feeds back into the run, so a run stays deterministic for its seed.
#pragma once

#include <malloc.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>

#include "core/runtime/check.h"
#include "scenarios/sim_cluster.h"

namespace herd::bench {

struct ClusterShape {
  int managers = 3;
  int workers = 1'000;
  int manager_cores = 16;
  int worker_cores = 2;
  Duration join_spread = seconds(30);
  std::uint64_t seed = 1;
};

// The service of the Swarm2k/Swarm3k scenarios: a tiny reservation and a 2 s start.
inline proto::ServiceSpec bench_service(const std::string& name, std::uint64_t replicas) {
  proto::ServiceSpec spec;
  spec.set_name(name);
  spec.set_mode(proto::SERVICE_MODE_REPLICATED);
  spec.set_replicas(replicas);
  proto::TaskSpec* task = spec.mutable_task();
  task->mutable_container()->set_image("busybox");
  task->mutable_container()->mutable_simulated()->set_start_latency_ns(Duration(seconds(2)).count());
  task->mutable_resources()->mutable_reservations()->set_nano_cpus(10'000'000);
  task->mutable_resources()->mutable_reservations()->set_memory_bytes(16LL << 20);
  return spec;
}

// Process memory from /proc/self/status ("VmRSS", "VmHWM"), in bytes.
inline std::uint64_t proc_bytes(std::string_view field) {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(std::string(field) + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1)) * 1024;
    }
  }
  return 0;
}

// Resident memory after returning freed heap pages, so that it counts what is live.
inline std::uint64_t live_rss_bytes() {
  malloc_trim(0);
  return proc_bytes("VmRSS");
}

class WallClock {
 public:
  WallClock() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  void restart() { start_ = std::chrono::steady_clock::now(); }

 private:
  std::chrono::steady_clock::time_point start_;
};

inline double seconds_of(Duration d) { return static_cast<double>(d.count()) / 1e9; }

using CpuReading = std::array<std::int64_t, kComponentCount>;

class ClusterDriver {
 public:
  explicit ClusterDriver(const ClusterShape& shape)
      : shape_(shape), scenario_(make_scenario(shape)), cluster_(scenario_, shape.seed) {}

  scenarios::SimCluster& cluster() { return cluster_; }
  simnet::Simulation& sim() { return cluster_.sim(); }
  double sim_seconds() { return seconds_of(sim().now().time_since_epoch()); }

  // Runs the simulation in steps of `step` until `done()` holds or `limit` of simulated time has
  // passed; returns whether it holds.
  bool run_until(const std::function<bool()>& done, Duration limit,
                 Duration step = milliseconds(100)) {
    const TimePoint deadline = sim().now() + limit;
    while (!done()) {
      if (sim().now() >= deadline) return false;
      sim().run_for(step);
    }
    return true;
  }

  simnet::SimHost* leader() { return cluster_.leader(); }
  const scenarios::StoreCounts* leader_counts() {
    simnet::SimHost* host = leader();
    return host == nullptr ? nullptr : cluster_.store_counts(*host);
  }

  // The least of a figure over every live manager's counts (0 when one has no counts).
  std::uint64_t min_over_managers(
      const std::function<std::uint64_t(const scenarios::StoreCounts&)>& figure) {
    std::uint64_t least = UINT64_MAX;
    for (NodeId id : cluster_.managers()) {
      simnet::SimHost* host = sim().host(id);
      const scenarios::StoreCounts* counts =
          host == nullptr || !host->up() ? nullptr : cluster_.store_counts(*host);
      least = std::min(least, counts == nullptr ? 0 : figure(*counts));
    }
    return least == UINT64_MAX ? 0 : least;
  }

  // Nodes the leader's store holds READY (managers included).
  std::uint64_t ready_nodes() {
    const scenarios::StoreCounts* counts = leader_counts();
    return counts == nullptr ? 0 : counts->nodes_in(proto::NODE_STATE_READY);
  }

  // Forms the cluster and waits until every host is a READY node; then drains the managers, as
  // the Swarm2k/3k experiments did. Aborts when it does not happen within the limit.
  void form(Duration limit) {
    HERD_CHECK(cluster_.form(limit).is_ok()) << "the cluster did not form";
    const auto total = static_cast<std::uint64_t>(shape_.managers + shape_.workers);
    HERD_CHECK(run_until([&] { return ready_nodes() >= total; }, limit))
        << "only " << ready_nodes() << " of " << total << " nodes ready";
    for (NodeId id : cluster_.managers()) {
      proto::ControlRequest request;
      request.mutable_update_node()->set_node(cluster_.store_node_id(*sim().host(id)));
      request.mutable_update_node()->set_availability(proto::NODE_AVAILABILITY_DRAIN);
      control(request);
    }
  }

  proto::ControlResponse control(const proto::ControlRequest& request) {
    Result<proto::ControlResponse> response = cluster_.control(request);
    HERD_CHECK(response.ok() && response->code() == "ok")
        << "control request failed: "
        << (response.ok() ? response->code() + " " + response->message()
                          : response.status().to_string());
    return *response;
  }

  // Tasks every executor of the cluster is starting or running.
  std::uint64_t executors_alive() {
    std::uint64_t alive = 0;
    for (const auto& [id, host] : sim().hosts()) {
      if (host->up()) alive += host->executor().stats().alive;
    }
    return alive;
  }

  CpuReading leader_cpu() {
    simnet::SimHost* host = leader();
    return host == nullptr ? CpuReading{} : host->cpu_ns();
  }

  // Share of one core per component between two readings `sim_span` apart, as "name x.x%".
  static std::string cpu_shares(const CpuReading& before, const CpuReading& after,
                                Duration sim_span) {
    std::string out;
    double total = 0;
    for (int c = 0; c < kComponentCount; ++c) {
      const auto index = static_cast<std::size_t>(c);
      const double share = static_cast<double>(after[index] - before[index]) /
                           static_cast<double>(sim_span.count()) * 100.0;
      total += share;
      if (share < 0.005) continue;
      char text[64];
      std::snprintf(text, sizeof(text), "%s%s %.2f%%", out.empty() ? "" : ", ",
                    std::string(component_name(static_cast<Component>(c))).c_str(), share);
      out += text;
    }
    char text[48];
    std::snprintf(text, sizeof(text), " (total %.2f%% of one core)", total);
    return out + text;
  }

 private:
  static scenarios::Scenario make_scenario(const ClusterShape& shape) {
    scenarios::Scenario scenario;
    scenario.name = "bench";
    scenario.seed = shape.seed;
    scenario.duration = hours(24);
    scenarios::DatacenterSpec dc;
    dc.name = "dc1";
    dc.managers = shape.managers;
    dc.workers = shape.workers;
    dc.manager_host.cores = shape.manager_cores;
    dc.manager_host.memory_bytes = 128ULL << 30;
    dc.worker_host.cores = shape.worker_cores;
    dc.worker_host.memory_bytes = 8ULL << 30;
    dc.lan.latency = microseconds(500);
    dc.lan.jitter = microseconds(200);
    scenario.topology.datacenters.push_back(dc);
    scenario.cluster.join_spread = shape.join_spread;
    return scenario;
  }

  ClusterShape shape_;
  scenarios::Scenario scenario_;
  scenarios::SimCluster cluster_;
};

// "--name value" flags of a bench binary, as integers.
inline std::int64_t int_flag(int argc, char** argv, std::string_view name, std::int64_t fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return std::strtoll(argv[i + 1], nullptr, 10);
  }
  return fallback;
}

}  // namespace herd::bench
