// Scheduler throughput: placement decisions per second for one batch of pending tasks of one
// service, at Swarm3k scale (4,700 nodes) and SwarmKit's benchmark shapes. Reported as
// items_per_second (placements/s). The decisions are computed, not applied to the store; the
// store-and-Raft path is measured by the cluster benchmarks.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "core/manager/scheduler/scheduler.h"
#include "core/store/write_tx.h"

namespace herd::manager {
namespace {

constexpr std::int64_t kCpu = 1'000'000'000;

struct Cluster {
  std::unique_ptr<store::Store> store = std::make_unique<store::Store>();
};

// `nodes` ready workers with 16 CPUs each, zone label a/b/c round-robin; `tasks` pending tasks.
Cluster make_cluster(int nodes, int tasks, bool constraint, bool reservations) {
  Cluster cluster;
  store::WriteTx node_tx;
  for (int i = 0; i < nodes; ++i) {
    proto::Node node;
    node.mutable_meta()->set_id("node" + std::to_string(100000 + i));
    node.mutable_description()->set_hostname("w" + std::to_string(i));
    node.mutable_description()->mutable_resources()->set_nano_cpus(1000 * kCpu);
    node.mutable_description()->mutable_resources()->set_memory_bytes(1LL << 40);
    node.mutable_status()->set_state(proto::NODE_STATE_READY);
    (*node.mutable_spec()->mutable_labels())["zone"] =
        std::string(1, static_cast<char>('a' + i % 3));
    node_tx.create(node);
  }
  (void)cluster.store->apply(node_tx.transaction());
  proto::TaskSpec spec;
  spec.mutable_container()->set_image("alpine");
  if (constraint) spec.mutable_placement()->add_constraints("node.labels.zone == a");
  if (reservations) {
    spec.mutable_resources()->mutable_reservations()->set_nano_cpus(kCpu / 100);
    spec.mutable_resources()->mutable_reservations()->set_memory_bytes(1 << 20);
  }
  store::WriteTx task_tx;
  for (int i = 0; i < tasks; ++i) {
    proto::Task task;
    task.mutable_meta()->set_id("task" + std::to_string(1000000 + i));
    task.set_service_id("service1");
    task.set_slot(static_cast<std::uint64_t>(i + 1));
    *task.mutable_spec() = spec;
    task.mutable_status()->set_state(proto::TASK_STATE_PENDING);
    task.set_desired_state(proto::TASK_STATE_RUNNING);
    task_tx.create(std::move(task));
  }
  (void)cluster.store->apply(task_tx.transaction());
  return cluster;
}

void BM_SchedulePendingBatch(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const int tasks = static_cast<int>(state.range(1));
  const bool constraint = state.range(2) != 0;
  Cluster cluster = make_cluster(nodes, tasks, constraint, /*reservations=*/true);
  Scheduler scheduler(*cluster.store);
  std::size_t placed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    scheduler.reset();
    state.ResumeTiming();
    Scheduler::Decisions decisions = scheduler.schedule(TimePoint(seconds(1)));
    placed += decisions.assigned;
    benchmark::DoNotOptimize(decisions);
  }
  if (placed != static_cast<std::size_t>(tasks) * state.iterations()) {
    state.SkipWithError("not every task was placed");
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(placed));
  state.counters["ns_per_task"] = benchmark::Counter(
      static_cast<double>(placed), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
// {nodes, tasks, constraint matched by every third node}
BENCHMARK(BM_SchedulePendingBatch)
    ->Args({4700, 100000, 0})
    ->Args({4700, 100000, 1})
    ->Args({5000, 100000, 1})
    ->Args({1000, 10000, 0})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace herd::manager

BENCHMARK_MAIN();
