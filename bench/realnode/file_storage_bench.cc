// FileStorage group commit with real fsync: each iteration appends a batch of records and syncs
// once, as the manager does per Raft Ready. Records of 128 B and 1 KiB, 1, 16 and 256 records per
// sync; the counters are records/s and syncs/s of wall time. The state directory is a fresh one
// under $TMPDIR (or /tmp) per run, removed afterwards, so the figures are those of that
// filesystem: say which one when quoting them.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "core/runtime/manual_clock.h"
#include "realnode/storage/file_storage.h"

namespace herd::realnode {
namespace {

std::filesystem::path make_temp_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/herd-storage-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) return {};
  return pattern;
}

void BM_AppendSync(benchmark::State& state) {
  const auto record_bytes = static_cast<std::size_t>(state.range(0));
  const auto records_per_sync = static_cast<std::size_t>(state.range(1));
  const std::filesystem::path root = make_temp_dir();
  if (root.empty()) {
    state.SkipWithError("cannot create a temp directory");
    return;
  }
  ManualClock clock;
  Logger logger(clock, "bench", nullptr);
  {
    Result<std::unique_ptr<FileStorage>> storage = FileStorage::open(root / "state", logger);
    if (!storage.ok()) {
      state.SkipWithError(storage.status().to_string().c_str());
    } else {
      const std::string record(record_bytes, 'r');
      for (auto _ : state) {
        for (std::size_t i = 0; i < records_per_sync; ++i) {
          benchmark::DoNotOptimize((*storage)->append(record).ok());
        }
        if (Status status = (*storage)->sync(); !status.is_ok()) {
          state.SkipWithError(status.to_string().c_str());
          break;
        }
      }
      const auto iterations = static_cast<double>(state.iterations());
      state.counters["records/s"] = benchmark::Counter(
          iterations * static_cast<double>(records_per_sync), benchmark::Counter::kIsRate);
      state.counters["syncs/s"] = benchmark::Counter(iterations, benchmark::Counter::kIsRate);
      state.SetBytesProcessed(state.iterations() *
                              static_cast<std::int64_t>(record_bytes * records_per_sync));
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
}
BENCHMARK(BM_AppendSync)
    ->ArgNames({"bytes", "per_sync"})
    ->ArgsProduct({{128, 1024}, {1, 16, 256}})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace herd::realnode

BENCHMARK_MAIN();
