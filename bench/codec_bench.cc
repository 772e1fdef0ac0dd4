// Codec throughput: CRC-32C and frame encode/decode, in bytes per second, for the payload sizes
// herd sends (a heartbeat is ~64 B, a Raft append of 64 entries ~8 KiB, a snapshot chunk 1 MiB).
#include <benchmark/benchmark.h>

#include <string>

#include "core/codec/crc32c.h"
#include "core/codec/frame.h"
#include "core/runtime/rng.h"

namespace herd::codec {
namespace {

std::string payload_of(std::size_t size) {
  Rng rng(size);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng.next_u64());
  return bytes;
}

void BM_Crc32c(benchmark::State& state) {
  const std::string data = payload_of(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(crc32c::value(data));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
  state.SetLabel(crc32c::hardware_accelerated() ? "sse4.2" : "portable");
}
BENCHMARK(BM_Crc32c)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_Crc32cPortable(benchmark::State& state) {
  const std::string data = payload_of(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state)
    benchmark::DoNotOptimize(crc32c::extend_portable(0, data.data(), data.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Crc32cPortable)->Arg(64)->Arg(4096)->Arg(1 << 20);

void BM_FrameEncode(benchmark::State& state) {
  const std::string payload = payload_of(static_cast<std::size_t>(state.range(0)));
  std::string out;
  out.reserve(payload.size() + kFrameHeaderSize);
  for (auto _ : state) {
    out.clear();
    append_frame(out, payload);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_FrameEncode)->Arg(64)->Arg(8192)->Arg(1 << 20);

void BM_FrameDecode(benchmark::State& state) {
  const std::string frame = encode_frame(payload_of(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) {
    auto decoded = decode_frame(frame);
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_FrameDecode)->Arg(64)->Arg(8192)->Arg(1 << 20);

// A stream of 64-byte frames arriving in 1,500-byte TCP segments, through FrameReader.
void BM_FrameReaderStream(benchmark::State& state) {
  std::string stream;
  const std::string payload = payload_of(64);
  for (int i = 0; i < 1000; ++i) append_frame(stream, payload);
  for (auto _ : state) {
    FrameReader reader;
    std::size_t frames = 0;
    for (std::size_t off = 0; off < stream.size(); off += 1500) {
      reader.feed(std::string_view(stream).substr(off, 1500));
      for (;;) {
        auto next = reader.next();
        if (!next.ok() || !next->has_value()) break;
        ++frames;
      }
    }
    benchmark::DoNotOptimize(frames);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 1000);
}
BENCHMARK(BM_FrameReaderStream);

}  // namespace
}  // namespace herd::codec

BENCHMARK_MAIN();
