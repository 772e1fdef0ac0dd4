// simnet throughput: events per second of the bare loop, and messages per second delivered
// among 5,000 hosts sending 5-second heartbeats to 3 managers over two datacenters (Swarm2k
// shape). Counters report the simulated messages, the resident bytes per idle host and the peak
// resident memory of the process (VmHWM). Wall-clock time is fine here: bench/ is not simulated.
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <string>

#include "simnet/simulation.h"

namespace herd::simnet {
namespace {

// Resident and peak resident memory of this process, in bytes (Linux /proc).
std::int64_t proc_status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
  }
  return 0;
}

void BM_EventLoop(benchmark::State& state) {
  const auto pending = state.range(0);
  EventLoop loop;
  std::int64_t fired = 0;
  // A steady population of `pending` timers, each re-arming itself.
  std::function<void()> tick;
  tick = [&] {
    ++fired;
    loop.schedule_after(Duration(1 + fired % 1000), [&tick] { tick(); });
  };
  for (std::int64_t i = 0; i < pending; ++i) loop.schedule_after(Duration(i % 1000), tick);
  for (auto _ : state) {
    for (int i = 0; i < 10'000; ++i) loop.step();
  }
  state.SetItemsProcessed(state.iterations() * 10'000);
}
BENCHMARK(BM_EventLoop)->Arg(1'000)->Arg(1'000'000);

constexpr int kManagers = 3;

struct Heartbeater : SimNode, TransportHandler {
  Heartbeater(SimHost& h, bool manager) : host(h), is_manager(manager) {
    host.env().transport.set_handler(this);
    if (!is_manager) beat();
  }
  ~Heartbeater() override { host.env().transport.set_handler(nullptr); }
  void beat() {
    host.env().clock.schedule_after(host.env().rng.jitter(seconds(5), milliseconds(500)), [this] {
      const NodeId manager(1 + host.id().value() % kManagers);
      (void)host.env().transport.send(manager, std::string(96, 'h'));
      beat();
    });
  }
  void on_message(NodeId from, std::string_view) override {
    host.env().cost.charge(Work::kDispatcherHeartbeat, 1);
    if (is_manager) (void)host.env().transport.send(from, std::string(48, 'a'));
  }
  void on_peer_up(NodeId) override {}
  void on_peer_down(NodeId) override {}
  SimHost& host;
  bool is_manager;
};

std::unique_ptr<Simulation> two_datacenters() {
  auto sim = std::make_unique<Simulation>(1);
  LinkSpec lan;
  LinkSpec wan;
  wan.latency = milliseconds(30);
  wan.jitter = milliseconds(2);
  wan.bandwidth_bps = 1'000'000'000;
  (void)build_datacenters(sim->topology(), 2, lan, wan);
  return sim;
}

void BM_Heartbeats(benchmark::State& state) {
  const int hosts = static_cast<int>(state.range(0));
  std::uint64_t delivered = 0;
  std::int64_t bytes_per_idle_host = 0;
  for (auto _ : state) {
    state.PauseTiming();
    // Idle hosts first, to measure what a host costs before its node does anything.
    {
      auto idle = two_datacenters();
      const std::int64_t before = proc_status_kb("VmRSS");
      for (int i = 1; i <= hosts; ++i) {
        idle->add_host(NodeId(i), "h" + std::to_string(i), i % 2 == 0 ? "dc1" : "dc2", HostSpec{},
                       nullptr);
      }
      bytes_per_idle_host = (proc_status_kb("VmRSS") - before) * 1024 / hosts;
    }
    auto sim = two_datacenters();
    for (int i = 1; i <= hosts; ++i) {
      const bool manager = i <= kManagers;
      sim->add_host(
          NodeId(i), manager ? "mg" + std::to_string(i) : "w" + std::to_string(i),
          i % 2 == 0 ? "dc1" : "dc2", HostSpec{manager ? 16 : 1, 1ULL << 30},
          [manager](SimHost& host) { return std::make_unique<Heartbeater>(host, manager); });
    }
    state.ResumeTiming();
    sim->run_for(seconds(60));
    delivered += sim->stats().messages_delivered;
    state.PauseTiming();
    sim.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(delivered));
  state.counters["bytes_per_idle_host"] = static_cast<double>(bytes_per_idle_host);
  state.counters["peak_rss_MiB"] = static_cast<double>(proc_status_kb("VmHWM")) / 1024.0;
}
BENCHMARK(BM_Heartbeats)->Arg(5'000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace herd::simnet

BENCHMARK_MAIN();
