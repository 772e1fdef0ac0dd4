#include "simnet/simulation.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace herd::simnet {
namespace {

// A node that records what reaches it.
struct Recorder : SimNode, TransportHandler {
  explicit Recorder(SimHost& h) : host(h) { host.env().transport.set_handler(this); }
  ~Recorder() override { host.env().transport.set_handler(nullptr); }
  void on_message(NodeId from, std::string_view bytes) override {
    messages.push_back({from, std::string(bytes), host_now()});
  }
  void on_peer_up(NodeId peer) override { ups.push_back(peer); }
  void on_peer_down(NodeId peer) override { downs.push_back(peer); }
  std::int64_t host_now() const { return to_nanos(host.env().clock.now()); }

  struct Message {
    NodeId from;
    std::string bytes;
    std::int64_t at;
  };
  SimHost& host;
  std::vector<Message> messages;
  std::vector<NodeId> ups;
  std::vector<NodeId> downs;
};

NodeFactory recorder() {
  return [](SimHost& host) { return std::make_unique<Recorder>(host); };
}
Recorder& rec(Simulation& sim, int id) {
  return static_cast<Recorder&>(*sim.host(NodeId(id))->node());
}

LinkSpec lan(Duration latency, Duration jitter, std::uint64_t bps) {
  LinkSpec spec;
  spec.latency = latency;
  spec.jitter = jitter;
  spec.bandwidth_bps = bps;
  return spec;
}

// A simulation with free CPU, so network timing is exact.
std::unique_ptr<Simulation> lan_sim(std::uint64_t seed, LinkSpec spec, int hosts) {
  auto sim = std::make_unique<Simulation>(seed, CostTable{});
  EXPECT_TRUE(build_lan(sim->topology(), "dc1", spec).is_ok());
  for (int i = 1; i <= hosts; ++i) {
    sim->add_host(NodeId(i), "h" + std::to_string(i), "dc1", HostSpec{}, recorder());
  }
  return sim;
}

void send_at(Simulation& sim, TimePoint at, int from, int to, std::string bytes) {
  SimHost* host = sim.host(NodeId(from));
  host->run_at(at, [host, to, bytes = std::move(bytes)] {
    (void)host->env().transport.send(NodeId(to), bytes);
  });
}

TEST(SimNetworkTest, DeliveryTimeIsLatencyPlusSerializationWithLinkContention) {
  // 1 Gbps: 1250 bytes serialize in 10 us. No jitter.
  auto sim = lan_sim(1, lan(microseconds(200), Duration(0), 1'000'000'000), 3);
  send_at(*sim, time_from_nanos(0), 1, 2, std::string(1250, 'a'));
  send_at(*sim, time_from_nanos(0), 1, 3, std::string(1250, 'b'));  // same sender link: queues
  sim->run_for(milliseconds(1));
  ASSERT_EQ(rec(*sim, 2).messages.size(), 1U);
  ASSERT_EQ(rec(*sim, 3).messages.size(), 1U);
  EXPECT_EQ(rec(*sim, 2).messages[0].at, 10'000 + 200'000);
  EXPECT_EQ(rec(*sim, 3).messages[0].at, 20'000 + 200'000);
  EXPECT_EQ(rec(*sim, 2).ups, (std::vector<NodeId>{NodeId(1)}));
  EXPECT_EQ(rec(*sim, 1).ups.size(), 2U);
}

TEST(SimNetworkTest, JitterStaysInBoundsAndFifoHolds) {
  auto sim = lan_sim(9, lan(microseconds(100), microseconds(80), 10'000'000'000), 2);
  for (int i = 0; i < 200; ++i) {
    send_at(*sim, time_from_nanos(i * 1000), 1, 2, std::to_string(i));
  }
  sim->run_for(milliseconds(10));
  const auto& got = rec(*sim, 2).messages;
  ASSERT_EQ(got.size(), 200U);
  bool varied = false;
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(got[static_cast<std::size_t>(i)].bytes, std::to_string(i));  // FIFO
    const std::int64_t serialization = static_cast<std::int64_t>(std::to_string(i).size()) * 8 / 10;
    const std::int64_t base = i * 1000 + 100'000 + serialization;
    const std::int64_t at = got[static_cast<std::size_t>(i)].at;
    EXPECT_GE(at, base);
    EXPECT_LE(at, base + 80'000 + 200);  // jitter bound (+ FIFO nudges of 1 ns)
    if (at - base > 1000) varied = true;
  }
  EXPECT_TRUE(varied);
}

TEST(SimNetworkTest, SymmetricPartitionBreaksConnectionsAndCutsBothWays) {
  auto sim = lan_sim(2, lan(milliseconds(1), Duration(0), 10'000'000'000), 3);
  send_at(*sim, time_from_nanos(0), 1, 2, "before");
  send_at(*sim, time_from_nanos(0), 2, 1, "reverse");  // two directed connections, one peer
  sim->run_for(microseconds(500));                     // in flight
  const int cut = sim->partition({NodeId(1)}, {NodeId(2)}, false);
  sim->run_for(milliseconds(5));
  EXPECT_TRUE(rec(*sim, 2).messages.empty());  // lost in flight
  EXPECT_EQ(rec(*sim, 1).downs, (std::vector<NodeId>{NodeId(2)}));
  EXPECT_EQ(rec(*sim, 2).downs, (std::vector<NodeId>{NodeId(1)}));
  EXPECT_EQ(sim->host(NodeId(1))->env().transport.send(NodeId(2), "x").code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(sim->host(NodeId(2))->env().transport.send(NodeId(1), "x").code(),
            StatusCode::kUnavailable);
  send_at(*sim, sim->now(), 1, 3, "other side is fine");
  sim->run_for(milliseconds(5));
  EXPECT_EQ(rec(*sim, 3).messages.size(), 1U);
  sim->heal_partition(cut);
  send_at(*sim, sim->now(), 1, 2, "after");
  sim->run_for(milliseconds(5));
  ASSERT_EQ(rec(*sim, 2).messages.size(), 1U);
  EXPECT_EQ(rec(*sim, 2).messages[0].bytes, "after");
  EXPECT_EQ(rec(*sim, 2).ups.size(), 2U);  // the connection came back
}

TEST(SimNetworkTest, AConnectionThatBreaksBeforeItsFirstMessageArrivesIsNeverUpAtTheReceiver) {
  auto sim = lan_sim(14, lan(milliseconds(1), Duration(0), 10'000'000'000), 2);
  send_at(*sim, sim->now(), 1, 2, "first");
  sim->run_for(microseconds(100));
  sim->partition({NodeId(1)}, {NodeId(2)}, false);
  sim->run_for(milliseconds(5));
  EXPECT_TRUE(rec(*sim, 2).ups.empty());
  EXPECT_TRUE(rec(*sim, 2).downs.empty());
  EXPECT_EQ(rec(*sim, 1).ups, (std::vector<NodeId>{NodeId(2)}));
  EXPECT_EQ(rec(*sim, 1).downs, (std::vector<NodeId>{NodeId(2)}));
}

TEST(SimNetworkTest, OneWayPartitionCutsOneDirection) {
  auto sim = lan_sim(3, lan(milliseconds(1), Duration(0), 10'000'000'000), 2);
  sim->partition({NodeId(1)}, {NodeId(2)}, true);
  send_at(*sim, sim->now(), 1, 2, "blocked");
  send_at(*sim, sim->now(), 2, 1, "passes");
  sim->run_for(milliseconds(5));
  EXPECT_TRUE(rec(*sim, 2).messages.empty());
  ASSERT_EQ(rec(*sim, 1).messages.size(), 1U);
  EXPECT_TRUE(sim->cut(NodeId(1), NodeId(2)));
  EXPECT_FALSE(sim->cut(NodeId(2), NodeId(1)));
}

TEST(SimNetworkTest, DatacenterPartitionAndWanDown) {
  Simulation sim(4, CostTable{});
  ASSERT_TRUE(build_datacenters(sim.topology(), 2,
                                lan(microseconds(100), Duration(0), 10'000'000'000),
                                lan(milliseconds(20), Duration(0), 1'000'000'000))
                  .is_ok());
  sim.add_host(NodeId(1), "a", "dc1", HostSpec{}, recorder());
  sim.add_host(NodeId(2), "b", "dc2", HostSpec{}, recorder());
  send_at(sim, sim.now(), 1, 2, "hi");
  sim.run_for(milliseconds(50));
  ASSERT_EQ(rec(sim, 2).messages.size(), 1U);
  EXPECT_EQ(rec(sim, 2).messages[0].at, 20'100'000 + 16);  // 2 bytes at 1 Gbps = 16 ns
  const int cut = sim.partition_datacenters({"dc1"}, {"dc2"}, false);
  EXPECT_TRUE(sim.cut(NodeId(2), NodeId(1)));
  sim.heal_partition(cut);
  send_at(sim, sim.now(), 1, 2, "again");
  sim.run_for(milliseconds(5));
  ASSERT_TRUE(sim.set_wan_up("dc1", "dc2", false).is_ok());  // "again" is still in flight
  sim.run_for(milliseconds(50));
  EXPECT_EQ(rec(sim, 2).messages.size(), 1U);
  // Once for the partition, once for the WAN link.
  EXPECT_EQ(rec(sim, 1).downs, (std::vector<NodeId>{NodeId(2), NodeId(2)}));
}

// A node that logs every Storage record it is told to, and reads them all back when built.
struct Journal : SimNode {
  explicit Journal(SimHost& host) {
    auto snapshot = host.env().storage.load_snapshot();
    auto wal = host.env().storage.read_wal();
    recovered = wal.status();
    if (wal.ok()) {
      for (const WalRecord& r : wal.value()) records.push_back(r.data);
    }
  }
  Status recovered;
  std::vector<std::string> records;
};

TEST(SimNetworkTest, HostLinkDownIsolatesTheHost) {
  auto sim = lan_sim(12, lan(milliseconds(1), Duration(0), 10'000'000'000), 3);
  send_at(*sim, sim->now(), 1, 2, "in flight");
  sim->run_for(microseconds(100));
  sim->set_host_link_up(NodeId(2), false);
  send_at(*sim, sim->now(), 3, 2, "unreachable");
  sim->run_for(milliseconds(5));
  EXPECT_TRUE(rec(*sim, 2).messages.empty());
  EXPECT_EQ(rec(*sim, 1).downs, (std::vector<NodeId>{NodeId(2)}));
  sim->set_host_link_up(NodeId(2), true);
  send_at(*sim, sim->now(), 3, 2, "back");
  sim->run_for(milliseconds(5));
  ASSERT_EQ(rec(*sim, 2).messages.size(), 1U);
  EXPECT_EQ(rec(*sim, 2).messages[0].bytes, "back");
}

TEST(SimNetworkTest, ClogsSlowLinksAndDatagramFaults) {
  auto sim = lan_sim(13, lan(milliseconds(1), Duration(0), 8'000'000'000), 4);
  sim->clog(NodeId(2), milliseconds(50));
  LinkFault slow;
  slow.extra_latency = milliseconds(7);
  sim->set_link_fault(NodeId(1), NodeId(3), slow, seconds(1));
  LinkFault datagram;
  datagram.duplicate = 1.0;
  sim->set_link_fault(NodeId(1), NodeId(4), datagram, seconds(1));
  send_at(*sim, sim->now(), 1, 2, "clogged");
  send_at(*sim, sim->now(), 1, 3, "slow");
  send_at(*sim, sim->now(), 1, 4, "twice");
  sim->run_for(milliseconds(100));
  ASSERT_EQ(rec(*sim, 2).messages.size(), 1U);
  EXPECT_EQ(rec(*sim, 2).messages[0].at, Duration(milliseconds(50)).count());
  ASSERT_EQ(rec(*sim, 3).messages.size(), 1U);
  // 1 ms + 7 ms, after "clogged" and "slow" serialized on host 1's link (7 + 4 bytes at 8 Gbps).
  EXPECT_EQ(rec(*sim, 3).messages[0].at, Duration(milliseconds(8)).count() + 11);
  EXPECT_EQ(rec(*sim, 4).messages.size(), 2U);
  LinkFault lossy;
  lossy.loss = 1.0;
  sim->set_link_fault(NodeId(1), NodeId(4), lossy, seconds(1));
  send_at(*sim, sim->now(), 1, 4, "lost");
  sim->run_for(milliseconds(100));
  EXPECT_EQ(rec(*sim, 4).messages.size(), 2U);
  EXPECT_EQ(sim->stats().messages_duplicated, 1U);
}

TEST(SimDiskTest, CrashKeepsSyncedDataAndRestartRecoversThroughStorage) {
  Simulation sim(5, CostTable{});
  ASSERT_TRUE(build_lan(sim.topology(), "dc1", LinkSpec{}).is_ok());
  auto factory = [](SimHost& host) { return std::make_unique<Journal>(host); };
  SimHost& host = sim.add_host(NodeId(1), "m1", "dc1", HostSpec{}, factory);
  Storage& disk = host.env().storage;
  for (const char* r : {"r1", "r2", "r3"}) ASSERT_TRUE(disk.append(r).ok());
  ASSERT_TRUE(disk.sync().is_ok());
  for (const char* r : {"r4", "r5"}) ASSERT_TRUE(disk.append(r).ok());
  sim.crash(NodeId(1));
  EXPECT_FALSE(host.up());
  sim.restart(NodeId(1));
  auto& journal = static_cast<Journal&>(*host.node());
  ASSERT_TRUE(journal.recovered.is_ok());
  EXPECT_EQ(journal.records, (std::vector<std::string>{"r1", "r2", "r3"}));

  // Sync lost: sync() says ok but nothing after it survives.
  sim.disk_fail_sync(NodeId(1));
  ASSERT_TRUE(host.env().storage.append("r6").ok());
  ASSERT_TRUE(host.env().storage.sync().is_ok());
  sim.crash(NodeId(1));
  sim.restart(NodeId(1));
  EXPECT_EQ(static_cast<Journal&>(*host.node()).records.size(), 3U);

  // Torn last record: dropped on recovery.
  sim.disk_tear_last_record(NodeId(1));
  sim.crash(NodeId(1));
  sim.restart(NodeId(1));
  ASSERT_TRUE(static_cast<Journal&>(*host.node()).recovered.is_ok());
  EXPECT_EQ(static_cast<Journal&>(*host.node()).records, (std::vector<std::string>{"r1", "r2"}));

  // A corrupted older record: recovery reports corruption.
  ASSERT_TRUE(host.env().storage.append("r7").ok());
  ASSERT_TRUE(host.env().storage.sync().is_ok());
  sim.disk_corrupt_older_record(NodeId(1));
  sim.crash(NodeId(1));
  sim.restart(NodeId(1));
  EXPECT_EQ(static_cast<Journal&>(*host.node()).recovered.code(), StatusCode::kCorruption);
}

TEST(SimDiskTest, SnapshotAndCompactionSurviveACrash) {
  Simulation sim(6, CostTable{});
  ASSERT_TRUE(build_lan(sim.topology(), "dc1", LinkSpec{}).is_ok());
  SimHost& host = sim.add_host(NodeId(1), "m1", "dc1", HostSpec{}, nullptr);
  Storage& disk = host.env().storage;
  for (const char* r : {"a", "b", "c"}) ASSERT_TRUE(disk.append(r).ok());
  ASSERT_TRUE(disk.save_snapshot("snap").is_ok());
  ASSERT_TRUE(disk.compact(3).is_ok());
  ASSERT_TRUE(disk.sync().is_ok());
  sim.crash(NodeId(1));
  sim.restart(NodeId(1));
  auto wal = host.env().storage.read_wal();
  ASSERT_TRUE(wal.ok());
  ASSERT_EQ(wal.value().size(), 1U);
  EXPECT_EQ(wal.value()[0].sequence, 3U);
  EXPECT_EQ(host.env().storage.load_snapshot().value(), std::optional<std::string>("snap"));
  auto next = host.env().storage.append("d");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), 4U);
}

TEST(SimClockTest, TimersFireOnTheLocalSkewedClock) {
  Simulation sim(7, CostTable{});
  ASSERT_TRUE(build_lan(sim.topology(), "dc1", LinkSpec{}).is_ok());
  SimHost& host = sim.add_host(NodeId(1), "h", "dc1", HostSpec{}, nullptr);
  sim.set_clock(NodeId(1), seconds(100), 100'000);  // +100 s, runs 10% fast
  EXPECT_EQ(host.env().clock.now(), time_from_nanos(Duration(seconds(100)).count()));
  std::int64_t fired_virtual = -1;
  std::int64_t fired_local = -1;
  host.env().clock.schedule_after(seconds(11), [&] {
    fired_virtual = to_nanos(sim.now());
    fired_local = to_nanos(host.env().clock.now());
  });
  const TimerId cancelled = host.env().clock.schedule_after(seconds(1), [&] { FAIL(); });
  host.env().clock.cancel(cancelled);
  sim.run_for(seconds(20));
  EXPECT_EQ(fired_virtual, Duration(seconds(10)).count());  // 11 local seconds at 1.1×
  EXPECT_EQ(fired_local, Duration(seconds(111)).count());
}

// A node whose timers charge CPU work.
struct Worker : SimNode {
  explicit Worker(SimHost& h) : host(h) {}
  void at(Duration delay, std::uint64_t units) {
    host.env().clock.schedule_after(delay, [this, units] {
      started.push_back(to_nanos(host.env().clock.now()));
      host.env().cost.charge(Work::kStoreAction, units);
    });
  }
  SimHost& host;
  std::vector<std::int64_t> started;
};

TEST(SimCpuTest, AnOverchargedHostDelaysItsLaterEvents) {
  CostTable costs;
  costs.ns_per_unit[static_cast<std::size_t>(Work::kStoreAction)] = 1'000'000;  // 1 ms each
  Simulation sim(8, costs);
  ASSERT_TRUE(build_lan(sim.topology(), "dc1", LinkSpec{}).is_ok());
  auto factory = [](SimHost& host) { return std::make_unique<Worker>(host); };
  SimHost& one = sim.add_host(NodeId(1), "one", "dc1", HostSpec{1, 1ULL << 30}, factory);
  SimHost& two = sim.add_host(NodeId(2), "two", "dc1", HostSpec{2, 1ULL << 30}, factory);
  for (SimHost* h : {&one, &two}) {
    auto& w = static_cast<Worker&>(*h->node());
    w.at(milliseconds(1), 10);  // busy 1 ms .. 11 ms
    w.at(milliseconds(2), 1);
    w.at(milliseconds(3), 1);
  }
  sim.set_cpu_factor(NodeId(1), 200, milliseconds(100));  // half speed on host one
  sim.run_for(milliseconds(50));
  // One core at half speed: 10 units take 20 ms, the next waits until 21 ms, then 2 ms more.
  EXPECT_EQ(static_cast<Worker&>(*one.node()).started,
            (std::vector<std::int64_t>{1'000'000, 21'000'000, 23'000'000}));
  // Two cores: the second core takes the later events on time.
  EXPECT_EQ(static_cast<Worker&>(*two.node()).started,
            (std::vector<std::int64_t>{1'000'000, 2'000'000, 3'000'000}));
  EXPECT_EQ(one.cpu_ns()[static_cast<std::size_t>(Component::kStore)], 24'000'000);
  EXPECT_EQ(one.busy_ns(), 24'000'000);
  EXPECT_EQ(sim.cpu_ns_by_component()[static_cast<std::size_t>(Component::kStore)],
            24'000'000 + 12'000'000);
  EXPECT_EQ(one.delayed_events(), 2U);
  EXPECT_EQ(two.delayed_events(), 0U);
}

TEST(SimCpuTest, SlowDiskSyncsBecomeBusyTime) {
  Simulation sim(10, CostTable{});
  ASSERT_TRUE(build_lan(sim.topology(), "dc1", LinkSpec{}).is_ok());
  SimHost& host = sim.add_host(NodeId(1), "h", "dc1", HostSpec{}, nullptr);
  sim.disk_slow(NodeId(1), milliseconds(5));
  std::vector<std::int64_t> started;
  for (int i = 0; i < 2; ++i) {
    host.run_at(time_from_nanos(0), [&] {
      started.push_back(to_nanos(sim.now()));
      (void)host.env().storage.sync();
    });
  }
  sim.run_for(milliseconds(20));
  EXPECT_EQ(started, (std::vector<std::int64_t>{0, 5'000'000}));
}

TEST(SimExecutorTest, TasksFollowTheirSimulatedBehaviourAndAreTraced) {
  Simulation sim(11, CostTable{});
  ASSERT_TRUE(build_lan(sim.topology(), "dc1", LinkSpec{}).is_ok());
  SimHost& host = sim.add_host(NodeId(1), "w0", "dc1", HostSpec{}, nullptr);
  proto::ContainerSpec spec;
  spec.mutable_simulated()->set_start_latency_ns(Duration(seconds(2)).count());
  spec.mutable_simulated()->set_run_for_ns(Duration(seconds(3)).count());
  const std::uint64_t before = sim.trace_position();
  ASSERT_TRUE(host.executor().start("t1", spec).is_ok());
  sim.run_for(seconds(1));
  EXPECT_EQ(host.executor().inspect("t1")->state, RunState::kStarting);
  sim.run_for(seconds(2));
  EXPECT_EQ(host.executor().inspect("t1")->state, RunState::kRunning);
  sim.run_for(seconds(5));
  EXPECT_EQ(host.executor().inspect("t1")->state, RunState::kExited);
  EXPECT_EQ(host.executor().stats().peak_alive, 1U);
  EXPECT_EQ(host.executor().stats().exited, 1U);
  EXPECT_GE(sim.trace_position(), before + 3);
  sim.crash(NodeId(1));
  sim.restart(NodeId(1));
  EXPECT_TRUE(host.executor().list().empty());  // containers die with the host
}

// Every host sends to a random peer on a jittered timer; faults on top.
struct Chatter : SimNode, TransportHandler {
  Chatter(SimHost& h, int n) : host(h), hosts(n) {
    host.env().transport.set_handler(this);
    tick();
  }
  ~Chatter() override { host.env().transport.set_handler(nullptr); }
  void tick() {
    host.env().clock.schedule_after(
        host.env().rng.jitter(milliseconds(10), milliseconds(5)), [this] {
          const auto to = NodeId(1 + host.env().rng.below(static_cast<std::uint64_t>(hosts)));
          if (to != host.id()) {
            (void)host.env().transport.send(to, std::string(100, 'x'));
          }
          host.env().cost.charge(Work::kRaftMessage, 1);
          tick();
        });
  }
  void on_message(NodeId, std::string_view) override {}
  void on_peer_up(NodeId) override {}
  void on_peer_down(NodeId) override {}
  SimHost& host;
  int hosts;
};

struct RunResult {
  std::uint64_t hash;
  std::uint64_t events;
  std::uint64_t delivered;
};

RunResult chatter_run(std::uint64_t seed, std::ostream* trace_out, int level = 2) {
  Simulation sim(seed);
  if (trace_out != nullptr) sim.set_trace_output(trace_out, level);
  EXPECT_TRUE(build_datacenters(sim.topology(), 2,
                                lan(microseconds(200), microseconds(50), 1'000'000'000),
                                lan(milliseconds(10), milliseconds(2), 100'000'000))
                  .is_ok());
  const int kHosts = 12;
  for (int i = 1; i <= kHosts; ++i) {
    sim.add_host(NodeId(i), "h" + std::to_string(i), i % 2 == 0 ? "dc1" : "dc2", HostSpec{},
                 [kHosts](SimHost& host) { return std::make_unique<Chatter>(host, kHosts); });
  }
  LinkFault lossy;
  lossy.loss = 0.2;
  lossy.duplicate = 0.1;
  lossy.reorder = 0.1;
  sim.set_link_fault(NodeId(1), NodeId(2), lossy, seconds(1));
  sim.at(time_from_nanos(Duration(milliseconds(300)).count()), [&] { sim.crash(NodeId(3)); });
  sim.at(time_from_nanos(Duration(milliseconds(600)).count()), [&] { sim.restart(NodeId(3)); });
  sim.at(time_from_nanos(Duration(milliseconds(400)).count()), [&] {
    sim.partition({NodeId(4), NodeId(5)}, {NodeId(6)}, false);
  });
  sim.at(time_from_nanos(Duration(milliseconds(700)).count()), [&] { sim.heal(); });
  sim.run_for(seconds(2));
  return RunResult{sim.trace_hash(), sim.loop().events_run(), sim.stats().messages_delivered};
}

TEST(SimDeterminismTest, NodeReportsFoldIntoTheHash) {
  Simulation a(1);
  Simulation b(1);
  EXPECT_EQ(a.trace_hash(), b.trace_hash());
  a.report(NodeId(1), "leader", 3);
  b.report(NodeId(1), "leader", 4);
  EXPECT_NE(a.trace_hash(), b.trace_hash());
  EXPECT_EQ(a.trace_position(), 1U);
}

TEST(SimDeterminismTest, SameSeedSameHashDifferentSeedDifferentHash) {
  const RunResult a = chatter_run(42, nullptr);
  std::ostringstream trace;
  const RunResult b = chatter_run(42, &trace);  // tracing to a file must not change the hash
  const RunResult c = chatter_run(43, nullptr);
  EXPECT_GT(a.delivered, 1000U);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_EQ(a.events, b.events);
  EXPECT_EQ(a.delivered, b.delivered);
  EXPECT_NE(a.hash, c.hash);
  EXPECT_NE(trace.str().find("\"kind\":\"fault\""), std::string::npos);
  EXPECT_NE(trace.str().find("\"kind\":\"message\""), std::string::npos);
  std::ostringstream faults_only;
  const RunResult d = chatter_run(42, &faults_only, 0);
  EXPECT_EQ(d.hash, a.hash);
  EXPECT_EQ(faults_only.str().find("\"kind\":\"message\""), std::string::npos);
  EXPECT_NE(faults_only.str().find("\"kind\":\"fault\""), std::string::npos);
}

}  // namespace
}  // namespace herd::simnet
