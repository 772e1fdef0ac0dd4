// Store apply throughput: transactions applied per second, as every manager applies committed
// entries. Shapes: one task created per transaction; a task-status patch per action in
// independent batches of 512 (the dispatcher's and scheduler's writes); a full task update.
#include <benchmark/benchmark.h>

#include <string>

#include "core/store/store.h"
#include "core/store/write_tx.h"

namespace herd::store {
namespace {

proto::Task make_task(int i) {
  proto::Task task;
  task.mutable_meta()->set_id("task" + std::to_string(1000000 + i));
  task.set_service_id("service1");
  task.set_slot(static_cast<std::uint64_t>(i + 1));
  task.mutable_spec()->mutable_container()->set_image("alpine");
  task.mutable_status()->set_state(proto::TASK_STATE_NEW);
  task.set_desired_state(proto::TASK_STATE_RUNNING);
  return task;
}

class CountingWatcher final : public Watcher {
 public:
  void on_store_event(const Event&) override { ++events; }
  void on_store_commit(std::uint64_t) override {}
  void on_store_reset() override {}
  std::uint64_t events = 0;
};

void BM_CreateTaskTransactions(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  std::vector<proto::StoreTransaction> transactions;
  for (int i = 0; i < count; ++i) {
    WriteTx tx;
    tx.create(make_task(i));
    transactions.push_back(std::move(tx).release());
  }
  for (auto _ : state) {
    state.PauseTiming();
    Store store;
    CountingWatcher watcher;
    store.add_watcher(&watcher);
    state.ResumeTiming();
    for (const auto& tx : transactions) benchmark::DoNotOptimize(store.apply(tx));
    state.PauseTiming();
    store.remove_watcher(&watcher);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * count);
}
BENCHMARK(BM_CreateTaskTransactions)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_TaskStatusPatches(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  Store store;
  {
    WriteTx tx;
    for (int i = 0; i < count; ++i) tx.create(make_task(i));
    (void)store.apply(tx.transaction());
  }
  CountingWatcher watcher;
  store.add_watcher(&watcher);
  proto::TaskState next = proto::TASK_STATE_PENDING;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<proto::StoreTransaction> batches;
    WriteTx tx;
    tx.set_independent_actions();
    for (int i = 0; i < count; ++i) {
      proto::TaskStatus status;
      status.set_state(next);
      tx.task_status("task" + std::to_string(1000000 + i), 0, "node1", status);
      if (tx.size() == 512) {
        batches.push_back(std::move(tx).release());
        tx = WriteTx();
        tx.set_independent_actions();
      }
    }
    if (!tx.empty()) batches.push_back(std::move(tx).release());
    state.ResumeTiming();
    for (const auto& batch : batches) benchmark::DoNotOptimize(store.apply(batch));
  }
  state.SetItemsProcessed(state.iterations() * count);
  store.remove_watcher(&watcher);
}
BENCHMARK(BM_TaskStatusPatches)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_SnapshotAndRestore(benchmark::State& state) {
  const int count = static_cast<int>(state.range(0));
  Store store;
  WriteTx tx;
  for (int i = 0; i < count; ++i) tx.create(make_task(i));
  (void)store.apply(tx.transaction());
  std::int64_t bytes = 0;
  for (auto _ : state) {
    const proto::StoreSnapshot snapshot = store.snapshot();
    bytes += static_cast<std::int64_t>(snapshot.ByteSizeLong());
    Store restored;
    benchmark::DoNotOptimize(restored.restore(snapshot));
  }
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_SnapshotAndRestore)->Arg(150000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace herd::store

BENCHMARK_MAIN();
