#include "simnet/simulation.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace herd::simnet {
namespace {

// A node that records what it hears and can send.
class Probe final : public SimNode, public TransportHandler {
 public:
  explicit Probe(SimHost& host) : host_(host) { host.env().transport.set_handler(this); }
  ~Probe() override { host_.env().transport.set_handler(nullptr); }

  void on_message(NodeId from, std::string_view bytes) override {
    received.push_back({from, std::string(bytes), host_.env().clock.now()});
    if (work_per_message > 0) host_.env().cost.charge(Work::kRaftMessage, work_per_message);
  }
  void on_peer_up(NodeId peer) override { events.push_back("up " + std::to_string(peer.value())); }
  void on_peer_down(NodeId peer) override {
    events.push_back("down " + std::to_string(peer.value()));
  }

  struct Received {
    NodeId from;
    std::string bytes;
    TimePoint at;
  };
  std::vector<Received> received;
  std::vector<std::string> events;
  std::uint64_t work_per_message = 0;

 private:
  SimHost& host_;
};

Probe& probe(Simulation& sim, NodeId id) { return static_cast<Probe&>(*sim.host(id)->node()); }

NodeFactory probe_factory() {
  return [](SimHost& host) { return std::make_unique<Probe>(host); };
}

LinkSpec lan(Duration latency, Duration jitter, std::uint64_t bps) {
  LinkSpec link;
  link.latency = latency;
  link.jitter = jitter;
  link.bandwidth_bps = bps;
  return link;
}

void two_hosts(Simulation& sim, LinkSpec link) {
  ASSERT_TRUE(sim.topology().add_datacenter("dc1", link).is_ok());
  sim.add_host(NodeId(1), "a", "dc1", HostSpec{}, probe_factory());
  sim.add_host(NodeId(2), "b", "dc1", HostSpec{}, probe_factory());
}

TEST(SimulationTest, DeliveryTimeIsLatencyPlusSerializationPlusJitterWithinBounds) {
  Simulation sim(1);
  two_hosts(sim, lan(milliseconds(1), microseconds(100), 1'000'000'000));
  // 125,000 bytes at 1 Gbps take 1 ms to serialize.
  ASSERT_TRUE(
      sim.host(NodeId(1))->env().transport.send(NodeId(2), std::string(125'000, 'x')).is_ok());
  sim.loop().run_for(seconds(1));
  ASSERT_EQ(probe(sim, NodeId(2)).received.size(), 1U);
  const Duration took = probe(sim, NodeId(2)).received[0].at.time_since_epoch();
  EXPECT_GE(took, milliseconds(2));                      // 1 ms latency + 1 ms serialization
  EXPECT_LE(took, milliseconds(2) + microseconds(100));  // + jitter in [0, 100us]
  // Sent from inside a handler, the sender's CPU work for the message (10 us + 1 ns per byte)
  // comes first.
  Simulation busy(1);
  two_hosts(busy, lan(milliseconds(1), Duration(0), 1'000'000'000));
  SimHost& sender = *busy.host(NodeId(1));
  sender.run_at(busy.now(),
                [&] { (void)sender.env().transport.send(NodeId(2), std::string(125'000, 'x')); });
  busy.loop().run_for(seconds(1));
  ASSERT_EQ(probe(busy, NodeId(2)).received.size(), 1U);
  EXPECT_EQ(probe(busy, NodeId(2)).received[0].at.time_since_epoch(),
            milliseconds(2) + microseconds(135));
}

TEST(SimulationTest, BandwidthIsSharedFifoOnTheBottleneck) {
  Simulation sim(2);
  two_hosts(sim, lan(microseconds(10), Duration(0), 1'000'000'000));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        sim.host(NodeId(1))->env().transport.send(NodeId(2), std::string(125'000, 'y')).is_ok());
  }
  sim.loop().run_for(seconds(1));
  const auto& got = probe(sim, NodeId(2)).received;
  ASSERT_EQ(got.size(), 3U);
  // Each waits for the one before it on the sender's link: 1 ms apart exactly.
  EXPECT_EQ(got[1].at - got[0].at, milliseconds(1));
  EXPECT_EQ(got[2].at - got[1].at, milliseconds(1));
}

TEST(SimulationTest, FifoPerPairDespiteJitter) {
  Simulation sim(3);
  two_hosts(sim, lan(microseconds(100), milliseconds(5), 10'000'000'000));
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(2), std::to_string(i)).is_ok());
  }
  sim.loop().run_for(seconds(1));
  const auto& got = probe(sim, NodeId(2)).received;
  ASSERT_EQ(got.size(), 200U);
  for (int i = 0; i < 200; ++i)
    EXPECT_EQ(got[static_cast<std::size_t>(i)].bytes, std::to_string(i));
}

TEST(SimulationTest, WanPathsAddTheirLatency) {
  Simulation sim(4);
  ASSERT_TRUE(sim.topology()
                  .add_datacenter("east", lan(milliseconds(1), Duration(0), 10'000'000'000))
                  .is_ok());
  ASSERT_TRUE(sim.topology()
                  .add_datacenter("west", lan(milliseconds(1), Duration(0), 10'000'000'000))
                  .is_ok());
  ASSERT_TRUE(sim.topology()
                  .add_datacenter("mid", lan(milliseconds(1), Duration(0), 10'000'000'000))
                  .is_ok());
  // east-west direct is slow; via mid is faster: Dijkstra takes the fast route.
  ASSERT_TRUE(sim.topology()
                  .add_wan("east", "west", lan(milliseconds(100), Duration(0), 1'000'000'000))
                  .is_ok());
  ASSERT_TRUE(sim.topology()
                  .add_wan("east", "mid", lan(milliseconds(20), Duration(0), 1'000'000'000))
                  .is_ok());
  ASSERT_TRUE(sim.topology()
                  .add_wan("mid", "west", lan(milliseconds(20), Duration(0), 1'000'000'000))
                  .is_ok());
  sim.add_host(NodeId(1), "e", "east", HostSpec{}, probe_factory());
  sim.add_host(NodeId(2), "w", "west", HostSpec{}, probe_factory());
  ASSERT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(2), "hi").is_ok());
  sim.loop().run_for(seconds(1));
  ASSERT_EQ(probe(sim, NodeId(2)).received.size(), 1U);
  EXPECT_LT(probe(sim, NodeId(2)).received[0].at.time_since_epoch(), milliseconds(42));
  EXPECT_GE(probe(sim, NodeId(2)).received[0].at.time_since_epoch(), milliseconds(41));
  // Take the mid route down: the direct link is used.
  ASSERT_TRUE(sim.topology().set_wan_up("east", "mid", false).is_ok());
  ASSERT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(2), "again").is_ok());
  sim.loop().run_for(seconds(1));
  ASSERT_EQ(probe(sim, NodeId(2)).received.size(), 2U);
  EXPECT_GE(probe(sim, NodeId(2)).received[1].at - TimePoint(seconds(1)),
            milliseconds(101) - seconds(0));
}

TEST(SimulationTest, PartitionsCutConnectionsAndDeliverNothingAcross) {
  Simulation sim(5);
  two_hosts(sim, lan(milliseconds(1), Duration(0), 10'000'000'000));
  sim.add_host(NodeId(3), "c", "dc1", HostSpec{}, probe_factory());
  ASSERT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(2), "before").is_ok());
  ASSERT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(2), "in flight").is_ok());
  sim.loop().run_for(microseconds(500));
  sim.partition({NodeId(1)}, {NodeId(2)}, false);
  sim.loop().run_for(seconds(1));
  EXPECT_TRUE(probe(sim, NodeId(2)).received.empty())
      << "in-flight messages are lost with the connection";
  EXPECT_EQ(probe(sim, NodeId(1)).events, (std::vector<std::string>{"up 2", "down 2"}));
  EXPECT_EQ(sim.host(NodeId(1))->env().transport.send(NodeId(2), "x").code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(sim.host(NodeId(2))->env().transport.send(NodeId(1), "x").code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(3), "other side").is_ok());
  sim.heal();
  ASSERT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(2), "after").is_ok());
  sim.loop().run_for(seconds(1));
  ASSERT_EQ(probe(sim, NodeId(2)).received.size(), 1U);
  EXPECT_EQ(probe(sim, NodeId(2)).received[0].bytes, "after");
}

TEST(SimulationTest, OneWayPartitionBlocksOneDirection) {
  Simulation sim(6);
  two_hosts(sim, lan(milliseconds(1), Duration(0), 10'000'000'000));
  sim.partition({NodeId(1)}, {NodeId(2)}, true);
  EXPECT_EQ(sim.host(NodeId(1))->env().transport.send(NodeId(2), "x").code(),
            StatusCode::kUnavailable);
  EXPECT_TRUE(sim.host(NodeId(2))->env().transport.send(NodeId(1), "y").is_ok());
  sim.loop().run_for(seconds(1));
  EXPECT_EQ(probe(sim, NodeId(1)).received.size(), 1U);
  EXPECT_TRUE(probe(sim, NodeId(2)).received.empty());
}

TEST(SimulationTest, CrashLosesUnsyncedWritesAndRestartRecoversSyncedOnes) {
  Simulation sim(7);
  two_hosts(sim, lan(milliseconds(1), Duration(0), 10'000'000'000));
  Storage& disk = sim.host(NodeId(1))->env().storage;
  ASSERT_TRUE(disk.append("one").ok());
  ASSERT_TRUE(disk.append("two").ok());
  ASSERT_TRUE(disk.sync().is_ok());
  ASSERT_TRUE(disk.append("three (never synced)").ok());
  ASSERT_TRUE(disk.save_snapshot("snap").is_ok());
  ASSERT_TRUE(sim.host(NodeId(2))->env().transport.send(NodeId(1), "to the dead").is_ok());
  sim.crash(NodeId(1));
  sim.loop().run_for(seconds(1));
  EXPECT_EQ(probe(sim, NodeId(2)).events.back(), "down 1");
  sim.restart(NodeId(1));
  EXPECT_TRUE(probe(sim, NodeId(1)).received.empty()) << "messages to a crashed host vanish";
  const auto records = sim.host(NodeId(1))->env().storage.read_wal();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2U);
  EXPECT_EQ((*records)[1].data, "two");
  EXPECT_EQ(**sim.host(NodeId(1))->env().storage.load_snapshot(), "snap");
}

TEST(SimulationTest, DiskFaultsTearAndCorruptRecords) {
  Simulation sim(8);
  two_hosts(sim, lan(milliseconds(1), Duration(0), 10'000'000'000));
  SimDisk& disk = sim.host(NodeId(1))->disk();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(disk.append("record number " + std::to_string(i)).ok());
  ASSERT_TRUE(disk.sync().is_ok());
  disk.arm_torn_last_record();
  sim.crash(NodeId(1));
  sim.restart(NodeId(1));
  auto torn = disk.read_wal();
  ASSERT_TRUE(torn.ok()) << torn.status();
  EXPECT_EQ(torn->size(), 4U) << "the torn last record is dropped";

  disk.arm_corrupt_older_record();
  sim.crash(NodeId(1));
  sim.restart(NodeId(1));
  const auto corrupt = disk.read_wal();
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), StatusCode::kCorruption);

  Simulation sim2(9);
  two_hosts(sim2, lan(milliseconds(1), Duration(0), 10'000'000'000));
  SimDisk& lying = sim2.host(NodeId(1))->disk();
  lying.arm_fail_sync();
  ASSERT_TRUE(lying.append("lost despite sync").ok());
  ASSERT_TRUE(lying.sync().is_ok());
  sim2.crash(NodeId(1));
  sim2.restart(NodeId(1));
  EXPECT_TRUE(lying.read_wal()->empty());
}

TEST(SimulationTest, TimersFireOnTheHostsSkewedClock) {
  Simulation sim(10);
  two_hosts(sim, lan(milliseconds(1), Duration(0), 10'000'000'000));
  SimHost& fast = *sim.host(NodeId(1));
  fast.set_clock(seconds(100), 100'000);  // +100 s, running 10 % fast
  EXPECT_EQ(fast.env().clock.now(), TimePoint(seconds(100)));
  TimePoint fired_local;
  TimePoint fired_global;
  fast.env().clock.schedule_after(seconds(11), [&] {
    fired_local = fast.env().clock.now();
    fired_global = sim.now();
  });
  sim.loop().run_for(seconds(20));
  EXPECT_EQ(fired_global, TimePoint(seconds(10))) << "11 local seconds pass in 10 real ones";
  EXPECT_EQ(fired_local, TimePoint(seconds(111)));
}

TEST(SimulationTest, BusyCpuDelaysLaterEvents) {
  Simulation sim(11);
  two_hosts(sim, lan(microseconds(10), Duration(0), 10'000'000'000));
  Probe& target = probe(sim, NodeId(2));
  // Each message costs 1,000 raft messages × 3 us = 3 ms of the host's single core.
  target.work_per_message = 1000;
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(2), "m").is_ok());
  sim.loop().run_for(seconds(1));
  ASSERT_EQ(target.received.size(), 3U);
  EXPECT_GE(target.received[1].at - target.received[0].at, milliseconds(3));
  EXPECT_GE(target.received[2].at - target.received[1].at, milliseconds(3));
  EXPECT_GT(sim.host(NodeId(2))->cpu_ns()[static_cast<std::size_t>(Component::kRaft)], 8'000'000);
  // cpu.slow doubles the cost.
  sim.host(NodeId(2))->set_cpu_factor(200);
  const TimePoint before = sim.now();
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(sim.host(NodeId(1))->env().transport.send(NodeId(2), "m").is_ok());
  sim.loop().run_for(seconds(1));
  EXPECT_GE(target.received[4].at - target.received[3].at, milliseconds(6));
  (void)before;
}

// A workload with jitter, datagram faults, a crash and a partition, run from a seed.
std::pair<std::uint64_t, std::uint64_t> chatter(std::uint64_t seed) {
  Simulation sim(seed);
  EXPECT_TRUE(sim.topology()
                  .add_datacenter("dc1", lan(milliseconds(1), microseconds(300), 1'000'000'000))
                  .is_ok());
  for (std::uint64_t i = 1; i <= 6; ++i)
    sim.add_host(NodeId(i), "h" + std::to_string(i), "dc1", HostSpec{}, probe_factory());
  Rng rng(seed);
  LinkFault fault;
  fault.loss = 0.1;
  fault.duplicate = 0.1;
  fault.reorder = 0.1;
  fault.until = TimePoint(seconds(100));
  sim.set_link_fault(NodeId(1), NodeId(2), fault);
  for (int round = 0; round < 200; ++round) {
    const NodeId from(1 + rng.below(6));
    const NodeId to(1 + rng.below(6));
    if (round == 50) sim.crash(NodeId(3));
    if (round == 100) sim.restart(NodeId(3));
    if (round == 120) sim.partition({NodeId(4)}, {NodeId(5), NodeId(6)}, false);
    if (round == 160) sim.heal();
    if (SimHost* host = sim.host(from); host->up() && from != to) {
      (void)host->env().transport.send(to, "round " + std::to_string(round));
    }
    sim.loop().run_for(milliseconds(rng.between(0, 5)));
  }
  sim.loop().run_for(seconds(5));
  return {sim.trace_hash(), sim.loop().events_run()};
}

TEST(SimulationTest, SameSeedSameTraceDifferentSeedDifferentTrace) {
  const auto first = chatter(42);
  const auto second = chatter(42);
  EXPECT_EQ(first, second);
  EXPECT_NE(chatter(43).first, first.first);
}

}  // namespace
}  // namespace herd::simnet
