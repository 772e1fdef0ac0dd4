// Simulation: the world of a simnet run — the event loop, the topology, the hosts, the network
// between them with its faults, and the trace hash that fingerprints the run.
//
// Network semantics are TCP-like: per (sender, receiver) FIFO and reliable while the path is up.
// A message leaves when the sender's handler has done the work charged so far, waits for the
// bottleneck link direction (a FIFO queue: serialization = bytes × 8 × 10^9 / bandwidth ns), then
// takes the path latency plus a seeded jitter in [0, path jitter]. A connection opens with the
// first message on a pair (both ends hear on_peer_up: the sender at once, the receiver with that
// message); a partition, a link going down or a crash breaks it: messages in flight on it are
// lost and the live ends hear on_peer_down at the moment of the break. Faults on top: clogs,
// slow links, datagram faults (loss, duplication, reordering — stronger than TCP), clock skew,
// disk faults, CPU slowness. Every delivered message, fired timer, connection change, fault and
// node-reported task transition folds into a 64-bit trace hash; an optional JSON-lines trace
// records them without changing the hash. Deterministic: one seed, forked per purpose; ordered
// containers; integer time.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "simnet/sim_host.h"
#include "simnet/topology.h"

namespace herd::simnet {

enum class TraceKind : std::uint8_t {
  kFault,    // level 0: crash, restart, partition, heal, clog, link, disk, clock, cpu
  kMessage,  // level 1: a delivered message
  kPeerUp,   // level 2 from here on
  kPeerDown,
  kTimer,
  kTaskState,  // a task's run state reported by a host's executor
  kNodeState,  // a state transition a node reports through Simulation::report
};

// Datagram-style faults between two hosts (both directions), and slow links.
struct LinkFault {
  Duration extra_latency{0};
  double loss = 0.0;
  double duplicate = 0.0;
  double reorder = 0.0;  // a reordered message is held back up to twice the path latency
};

struct NetworkStats {
  std::uint64_t messages_sent = 0;
  std::uint64_t messages_delivered = 0;
  std::uint64_t bytes_delivered = 0;
  std::uint64_t messages_lost = 0;  // broken connections, datagram loss, unreachable peers
  std::uint64_t messages_duplicated = 0;
  // Delivered messages and bytes per class of the classifier, when one is set.
  std::vector<std::uint64_t> messages_by_class;
  std::vector<std::uint64_t> bytes_by_class;
};

// Sorts delivered messages into classes [0, classes) for NetworkStats. simnet carries opaque
// bytes; the caller (the scenario runner) knows the wire format. It observes only: it must not
// change anything the simulation does.
using MessageClassifier = std::function<std::size_t(std::string_view bytes)>;

class Simulation {
 public:
  explicit Simulation(std::uint64_t seed, CostTable costs = CostTable::defaults());
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  EventLoop& loop() { return loop_; }
  Topology& topology() { return topology_; }
  const CostTable& costs() const { return costs_; }
  std::uint64_t seed() const { return seed_; }
  TimePoint now() const { return loop_.now(); }
  void run_until(TimePoint time) { loop_.run_until(time); }
  void run_for(Duration duration) { loop_.run_for(duration); }
  bool step() { return loop_.step(); }
  // Runs `fn` at virtual time `at`, outside any host (timelines, fault starts and ends).
  void at(TimePoint time, std::function<void()> fn) { loop_.schedule_at(time, std::move(fn)); }

  // A host in `datacenter`, booted at once (its node built by `factory`).
  SimHost& add_host(NodeId id, const std::string& name, const std::string& datacenter,
                    HostSpec spec, NodeFactory factory);
  SimHost* host(NodeId id);
  SimHost* host_by_name(const std::string& name);
  const std::map<NodeId, std::unique_ptr<SimHost>>& hosts() const { return hosts_; }
  std::vector<NodeId> hosts_in(const std::string& datacenter) const;

  // Faults, each folded into the trace. Those with a `duration` end by themselves; the others
  // last until undone (restart, heal, set_wan_up(true), a zero fault, ...), which a scenario
  // schedules with at().
  void crash(NodeId id);
  void restart(NodeId id);
  // Cuts a → b (and b → a unless one_way); returns an id for heal_partition().
  int partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b, bool one_way);
  int partition_datacenters(const std::vector<std::string>& a, const std::vector<std::string>& b,
                            bool one_way);
  void heal_partition(int id);
  void heal();
  bool cut(NodeId from, NodeId to) const;
  // A WAN link down or up; connections whose path vanished break.
  Status set_wan_up(const std::string& a, const std::string& b, bool up);
  // A host's LAN link down (its cable pulled) or up again; its connections break.
  void set_host_link_up(NodeId id, bool up);
  // Every message to or from the host (or between the two hosts) waits until the clog ends.
  void clog(NodeId id, Duration duration);
  void clog_link(NodeId a, NodeId b, Duration duration);
  // Slow link and datagram faults between two hosts for `duration`.
  void set_link_fault(NodeId a, NodeId b, LinkFault fault, Duration duration);
  void set_clock(NodeId id, Duration offset, std::int64_t drift_ppm);
  void set_cpu_factor(NodeId id, std::int64_t percent, Duration duration);
  void disk_fail_sync(NodeId id);
  void disk_tear_last_record(NodeId id);
  void disk_corrupt_older_record(NodeId id);
  void disk_slow(NodeId id, Duration sync_latency);

  // Used by hosts' transports.
  Status send(SimHost& from, NodeId to, std::string bytes);

  // Folds an event into the trace hash (and the trace file, at its level).
  void trace(TraceKind kind, NodeId host, std::uint64_t value, std::string_view detail = "");
  // For nodes (through whoever built them): a state transition worth fingerprinting.
  void report(NodeId host, std::string_view what, std::uint64_t value) {
    trace(TraceKind::kNodeState, host, value, what);
  }
  std::uint64_t trace_hash() const { return trace_hash_; }
  std::uint64_t trace_position() const { return trace_events_; }
  // One JSON line per traced event of `level` or below (0 faults, 1 + messages, 2 + the rest).
  void set_trace_output(std::ostream* out, int level) {
    trace_out_ = out;
    trace_level_ = level;
  }
  const NetworkStats& stats() const { return stats_; }
  void set_message_classifier(MessageClassifier classifier, std::size_t classes);
  // CPU ns charged per Component, summed over every host (a run's CPU breakdown).
  std::array<std::int64_t, kComponentCount> cpu_ns_by_component() const;
  // Where hosts' loggers write (null: logs off). Logs never reach the trace hash.
  void set_log_sink(LogSink* sink) { log_sink_ = sink; }
  LogSink* log_sink() const { return log_sink_; }

  Rng fork_rng(std::string_view name) const { return root_rng_.fork(name); }

 private:
  struct Connection {
    bool established = false;
    std::uint64_t epoch = 0;
    TimePoint last_arrival;
  };
  struct Cut {
    std::set<NodeId> a;
    std::set<NodeId> b;
    bool one_way = false;
  };
  struct TimedLinkFault {
    LinkFault fault;
    TimePoint until;
  };
  using Pair = std::pair<NodeId, NodeId>;

  Connection* find_connection(NodeId from, NodeId to);
  void break_connection(NodeId from, NodeId to);
  void break_connections_of(NodeId id);
  void break_cut_connections();
  // Tells `at` that `peer` is up or down, at `when`, on behalf of the directed connection
  // `from` → `to` in its life `epoch`: an up notice of a connection that broke before the notice
  // was due is dropped.
  void notify(NodeId at, NodeId peer, bool up, TimePoint when, NodeId from, NodeId to,
              std::uint64_t epoch);
  const LinkFault* fault_between(NodeId a, NodeId b) const;
  void deliver(NodeId from, NodeId to, std::uint64_t connection_epoch,
               const std::shared_ptr<const std::string>& bytes);

  std::uint64_t seed_;
  Rng root_rng_;
  Rng net_rng_;
  CostTable costs_;
  EventLoop loop_;
  Topology topology_;
  std::map<NodeId, std::unique_ptr<SimHost>> hosts_;
  std::map<std::string, NodeId> names_;
  // Directed connections: connections_[from id][to id]. Walking it in index order visits pairs
  // in (from, to) order.
  std::vector<std::map<NodeId, Connection>> connections_;
  // (host, peer) pairs whose host has last heard on_peer_up, so on_peer_up and on_peer_down
  // alternate per peer whatever number of directed connections carry them.
  std::set<Pair> peer_view_;
  std::map<int, Cut> cuts_;
  int next_cut_ = 1;
  std::map<NodeId, TimePoint> clogged_until_;
  std::map<Pair, TimePoint> link_clogged_until_;
  std::map<Pair, TimedLinkFault> link_faults_;
  // When each link direction's FIFO queue is next free, indexed [link][forward].
  std::vector<std::array<TimePoint, 2>> link_free_;
  // hosts_ again, indexed by id (ids stay below kMaxHostId): the per-message lookup is O(1).
  static constexpr std::uint64_t kMaxHostId = 1 << 20;
  std::vector<SimHost*> dense_hosts_;
  NetworkStats stats_;
  MessageClassifier classifier_;
  std::uint64_t trace_hash_ = 0x7261636568657264ULL;  // "herdrace"
  std::uint64_t trace_events_ = 0;
  std::ostream* trace_out_ = nullptr;
  int trace_level_ = 0;
  LogSink* log_sink_ = nullptr;
};

}  // namespace herd::simnet
