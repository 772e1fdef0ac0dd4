// Simulation: the world of a simnet run — the event loop, the topology, the hosts, the network
// between them with its faults, and the trace hash that fingerprints the run.
//
// Network semantics are TCP-like by default: per (sender, receiver) FIFO and reliable while the
// path is up. A message leaves when the sender's handler has done the work charged so far,
// waits for the bottleneck link direction (a FIFO queue: serialization = bytes × 8 / bandwidth),
// then takes the path latency plus a seeded jitter in [0, path jitter]. A connection is
// established by the first message on a pair (both ends hear on_peer_up); a partition or a crash
// breaks it: messages in flight on it are lost and the live ends hear on_peer_down. Faults on top:
// clogs (hold a host's traffic until a time), slow links (extra latency), and datagram faults
// (loss, duplication, reordering — stronger than TCP, for testing). Every delivered message,
// fired host event, fault and observed state transition folds into a 64-bit trace hash; an
// optional JSON-lines trace records them without changing the hash. Deterministic: one seed,
// forked per purpose; ordered containers; integer time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "simnet/sim_host.h"
#include "simnet/topology.h"

namespace herd::simnet {

struct LinkFault {
  Duration extra_latency{0};
  double loss = 0.0;
  double duplicate = 0.0;
  double reorder = 0.0;
  TimePoint until;
};

struct NetworkStats {
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t bytes_delivered = 0;
  std::uint64_t messages_lost = 0;  // broken connections, datagram loss, crashed receivers
};

class Simulation {
 public:
  using MessageObserver = std::function<void(NodeId from, NodeId to, std::string_view bytes)>;

  explicit Simulation(std::uint64_t seed, CostTable costs = CostTable::defaults());
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  EventLoop& loop() { return loop_; }
  Topology& topology() { return topology_; }
  const CostTable& costs() const { return costs_; }
  std::uint64_t seed() const { return seed_; }
  TimePoint now() const { return loop_.now(); }

  // A host in `datacenter`, booted at once (its node built by `factory`).
  SimHost& add_host(NodeId id, const std::string& name, const std::string& datacenter,
                    HostSpec spec, NodeFactory factory);
  SimHost* host(NodeId id);
  SimHost* host_by_name(const std::string& name);
  const std::map<NodeId, std::unique_ptr<SimHost>>& hosts() const { return hosts_; }

  // Faults. Each is folded into the trace.
  void crash(NodeId id);
  void restart(NodeId id);
  void partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b, bool one_way);
  void heal();
  void clog(NodeId id, Duration duration);
  void set_link_fault(NodeId a, NodeId b, LinkFault fault);
  bool cut(NodeId from, NodeId to) const { return cuts_.count({from, to}) != 0; }

  // Used by hosts' transports.
  Status send(SimHost& from, NodeId to, std::string bytes);

  // Trace.
  void trace(std::string_view kind, NodeId host, std::uint64_t value, std::string_view detail = "");
  std::uint64_t trace_hash() const { return trace_hash_; }
  std::uint64_t trace_position() const { return trace_events_; }
  // Writes one JSON line per traced event at `level` or below (0 faults, 1 + messages, 2 + all).
  void set_trace_output(std::ostream* out, int level) {
    trace_out_ = out;
    trace_level_ = level;
  }
  void set_message_observer(MessageObserver observer) { message_observer_ = std::move(observer); }
  const NetworkStats& stats() const { return stats_; }

  Rng fork_rng(std::string_view name) const { return root_rng_.fork(name); }

 private:
  struct Connection {
    bool established = false;
    std::uint64_t epoch = 0;
    TimePoint last_arrival;
  };
  using Pair = std::pair<NodeId, NodeId>;

  void break_connection(NodeId from, NodeId to, std::string_view why);
  void break_connections_of(NodeId id, std::string_view why);
  void notify(NodeId at, NodeId peer, bool up, TimePoint when);
  const LinkFault* fault_between(NodeId a, NodeId b) const;

  std::uint64_t seed_;
  Rng root_rng_;
  Rng net_rng_;
  CostTable costs_;
  EventLoop loop_;
  Topology topology_;
  std::map<NodeId, std::unique_ptr<SimHost>> hosts_;
  std::map<std::string, NodeId> names_;
  std::map<Pair, Connection> connections_;
  std::set<Pair> cuts_;
  std::map<NodeId, TimePoint> clogged_until_;
  std::map<Pair, LinkFault> link_faults_;
  std::map<LinkDirection, TimePoint> link_free_;
  NetworkStats stats_;
  std::uint64_t trace_hash_ = 0x7261636568657264ULL;  // "herdrace"
  std::uint64_t trace_events_ = 0;
  std::ostream* trace_out_ = nullptr;
  int trace_level_ = 0;
  MessageObserver message_observer_;
};

}  // namespace herd::simnet
