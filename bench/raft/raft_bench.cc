// Raft in memory: propose -> commit -> apply throughput for 3 and 5 nodes with 128-byte and
// 1-KiB entries, and the cost of step() for an append of 64 entries. The cluster is the test
// cluster (tests/core/raft/raft_cluster.h): every Ready persisted to MemoryLogStorage, messages
// delivered in order without loss. Batching: each round proposes `batch` entries before the
// messages flow, as a busy leader does.
#include <benchmark/benchmark.h>

#include <string>

#include "tests/core/raft/raft_cluster.h"

namespace herd::raft {
namespace {

void BM_ProposeCommitApply(benchmark::State& state) {
  const int nodes = static_cast<int>(state.range(0));
  const std::size_t entry_bytes = static_cast<std::size_t>(state.range(1));
  const int batch = static_cast<int>(state.range(2));
  RaftCluster cluster(nodes, 1);
  const NodeId leader = cluster.elect();
  if (leader == kNoNode) {
    state.SkipWithError("no leader");
    return;
  }
  const std::string payload(entry_bytes, 'x');
  TestNode& l = cluster.node(leader);
  std::int64_t committed = 0;
  for (auto _ : state) {
    for (int i = 0; i < batch; ++i) (void)l.node->propose(payload);
    cluster.process(l);
    cluster.settle();
    committed += batch;
  }
  // Every node applied everything.
  for (auto& [id, n] : cluster.nodes()) {
    if (n.node->status().applied != l.node->status().applied) state.SkipWithError("a node lags");
    n.applied.clear();
  }
  state.SetItemsProcessed(committed);
  state.SetBytesProcessed(committed * static_cast<std::int64_t>(entry_bytes));
}
BENCHMARK(BM_ProposeCommitApply)
    ->ArgNames({"nodes", "bytes", "batch"})
    ->Args({3, 128, 1})
    ->Args({3, 128, 64})
    ->Args({3, 128, 512})
    ->Args({3, 1024, 64})
    ->Args({5, 128, 64})
    ->Args({5, 1024, 64});

void BM_StepAppend64(benchmark::State& state) {
  RaftCluster cluster(3, 2);
  const NodeId leader = cluster.elect();
  const NodeId follower = leader == NodeId(1) ? NodeId(2) : NodeId(1);
  TestNode& f = cluster.node(follower);
  const Term term = cluster.node(leader).node->term();
  LogIndex last = f.node->status().last_index;
  const std::string payload(128, 'y');
  for (auto _ : state) {
    state.PauseTiming();
    proto::raft::Message m;
    m.set_type(proto::raft::MSG_APPEND);
    m.set_from(leader.value());
    m.set_to(follower.value());
    m.set_term(term.value());
    m.set_index(last.value());
    m.set_log_term(term.value());
    for (int i = 1; i <= 64; ++i) {
      proto::raft::Entry* entry = m.add_entries();
      entry->set_term(term.value());
      entry->set_index(last.value() + static_cast<std::uint64_t>(i));
      entry->set_data(payload);
    }
    last += 64;
    state.ResumeTiming();
    benchmark::DoNotOptimize(f.node->step(m));
    state.PauseTiming();
    cluster.process(f);
    cluster.queue().clear();
    f.applied.clear();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_StepAppend64);

}  // namespace
}  // namespace herd::raft

BENCHMARK_MAIN();
