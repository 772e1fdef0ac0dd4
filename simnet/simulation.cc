#include "simnet/simulation.h"

#include <algorithm>

#include "core/runtime/check.h"

namespace herd::simnet {
namespace {

__extension__ typedef __int128 Int128;  // GCC/Clang builtin, for exact serialization times

// Order-dependent fold (a SplitMix64 finalizer over the combined state).
std::uint64_t mix(std::uint64_t state, std::uint64_t value) {
  std::uint64_t z = state ^ (value + 0x9E3779B97F4A7C15ULL + (state << 6) + (state >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string_view kind_name(TraceKind kind) {
  switch (kind) {
    case TraceKind::kFault:
      return "fault";
    case TraceKind::kMessage:
      return "message";
    case TraceKind::kPeerUp:
      return "peer_up";
    case TraceKind::kPeerDown:
      return "peer_down";
    case TraceKind::kTimer:
      return "timer";
    case TraceKind::kTaskState:
      return "task_state";
    case TraceKind::kNodeState:
      return "node_state";
  }
  return "unknown";
}

int kind_level(TraceKind kind) {
  if (kind == TraceKind::kFault) return 0;
  return kind == TraceKind::kMessage ? 1 : 2;
}

std::pair<NodeId, NodeId> unordered(NodeId a, NodeId b) { return {std::min(a, b), std::max(a, b)}; }

}  // namespace

Simulation::Simulation(std::uint64_t seed, CostTable costs)
    : seed_(seed), root_rng_(seed), net_rng_(root_rng_.fork("net")), costs_(costs) {}

Simulation::~Simulation() {
  // Nodes go first: their destructors may still use the loop through their clocks.
  for (auto& [id, host] : hosts_) {
    if (host->up()) host->crash();
  }
  hosts_.clear();
}

SimHost& Simulation::add_host(NodeId id, const std::string& name, const std::string& datacenter,
                              HostSpec spec, NodeFactory factory) {
  HERD_CHECK(hosts_.count(id) == 0) << "host id " << id.value() << " added twice";
  HERD_CHECK(id != kNoNode && id.value() < kMaxHostId)
      << "host id " << id.value() << " out of range";
  HERD_CHECK(names_.count(name) == 0) << "host name " << name << " added twice";
  HERD_CHECK(topology_.has_datacenter(datacenter)) << "unknown datacenter " << datacenter;
  const int link = topology_.add_host_link(datacenter);
  auto host = std::make_unique<SimHost>(*this, id, name, link, spec, std::move(factory));
  SimHost& ref = *host;
  hosts_.emplace(id, std::move(host));
  if (dense_hosts_.size() <= id.value()) {
    dense_hosts_.resize(id.value() + 1, nullptr);
    connections_.resize(id.value() + 1);
  }
  dense_hosts_[id.value()] = &ref;
  names_.emplace(name, id);
  ref.boot();
  return ref;
}

SimHost* Simulation::host(NodeId id) {
  return id.value() < dense_hosts_.size() ? dense_hosts_[id.value()] : nullptr;
}

SimHost* Simulation::host_by_name(const std::string& name) {
  const auto it = names_.find(name);
  return it == names_.end() ? nullptr : host(it->second);
}

std::array<std::int64_t, kComponentCount> Simulation::cpu_ns_by_component() const {
  std::array<std::int64_t, kComponentCount> total{};
  for (const auto& [id, host] : hosts_) {
    for (std::size_t c = 0; c < total.size(); ++c) total[c] += host->cpu_ns()[c];
  }
  return total;
}

std::vector<NodeId> Simulation::hosts_in(const std::string& datacenter) const {
  std::vector<NodeId> out;
  for (const auto& [id, host] : hosts_) {
    if (topology_.datacenter_of_link(host->host_link()) == datacenter) out.push_back(id);
  }
  return out;
}

void Simulation::trace(TraceKind kind, NodeId host, std::uint64_t value, std::string_view detail) {
  ++trace_events_;
  trace_hash_ = mix(trace_hash_, static_cast<std::uint64_t>(kind));
  trace_hash_ = mix(trace_hash_, host.value());
  trace_hash_ = mix(trace_hash_, static_cast<std::uint64_t>(to_nanos(now())));
  trace_hash_ = mix(trace_hash_, value);
  if (!detail.empty() && kind != TraceKind::kMessage) {
    trace_hash_ = mix(trace_hash_, stable_hash(detail));
  }
  if (trace_out_ == nullptr || kind_level(kind) > trace_level_) return;
  *trace_out_ << "{\"t_ns\":" << to_nanos(now()) << ",\"kind\":\"" << kind_name(kind)
              << "\",\"host\":" << host.value() << ",\"value\":" << value;
  if (!detail.empty()) {
    *trace_out_ << ",\"detail\":\"";
    for (const char c : detail) {
      if (c == '"' || c == '\\') *trace_out_ << '\\';
      if (static_cast<unsigned char>(c) >= 0x20) *trace_out_ << c;
    }
    *trace_out_ << "\"";
  }
  *trace_out_ << "}\n";
}

void Simulation::notify(NodeId at, NodeId peer, bool up, TimePoint when, NodeId from, NodeId to,
                        std::uint64_t epoch) {
  SimHost* target = host(at);
  if (target == nullptr || !target->up()) return;
  target->run_at(when, [this, target, peer, up, from, to, epoch] {
    if (up && find_connection(from, to)->epoch != epoch) return;
    const NodeId self = target->id();
    // The view changes when the host hears the news, so what it heard last is what it believes.
    if (up ? !peer_view_.insert({self, peer}).second : peer_view_.erase({self, peer}) == 0) return;
    trace(up ? TraceKind::kPeerUp : TraceKind::kPeerDown, self, peer.value());
    if (target->handler() == nullptr) return;
    if (up) {
      target->handler()->on_peer_up(peer);
    } else {
      target->handler()->on_peer_down(peer);
    }
  });
}

Simulation::Connection* Simulation::find_connection(NodeId from, NodeId to) {
  if (from.value() >= connections_.size()) return nullptr;
  auto& outgoing = connections_[from.value()];
  const auto it = outgoing.find(to);
  return it == outgoing.end() ? nullptr : &it->second;
}

void Simulation::break_connection(NodeId from, NodeId to) {
  Connection* connection = find_connection(from, to);
  if (connection == nullptr || !connection->established) return;
  connection->established = false;
  ++connection->epoch;  // in-flight messages on it are lost
  notify(from, to, false, now(), from, to, connection->epoch);
  notify(to, from, false, now(), from, to, connection->epoch);
}

void Simulation::break_connections_of(NodeId id) {
  for (std::size_t from = 0; from < connections_.size(); ++from) {
    for (const auto& [to, connection] : connections_[from]) {
      if (NodeId(from) == id || to == id) break_connection(NodeId(from), to);
    }
  }
}

void Simulation::break_cut_connections() {
  for (std::size_t index = 0; index < connections_.size(); ++index) {
    for (const auto& [to, connection] : connections_[index]) {
      if (!connection.established) continue;
      const NodeId from(index);
      const int from_link = host(from)->host_link();
      if (cut(from, to) || !topology_.path(from_link, host(to)->host_link())) {
        break_connection(from, to);
      }
    }
  }
}

bool Simulation::cut(NodeId from, NodeId to) const {
  for (const auto& [id, c] : cuts_) {
    if (c.a.count(from) != 0 && c.b.count(to) != 0) return true;
    if (!c.one_way && c.b.count(from) != 0 && c.a.count(to) != 0) return true;
  }
  return false;
}

const LinkFault* Simulation::fault_between(NodeId a, NodeId b) const {
  const auto it = link_faults_.find(unordered(a, b));
  if (it == link_faults_.end() || it->second.until <= now()) return nullptr;
  return &it->second.fault;
}

Status Simulation::send(SimHost& from, NodeId to, std::string bytes) {
  HERD_CHECK(from.up()) << from.name() << " sent while crashed";
  SimHost* target = host(to);
  if (target == nullptr) return Status::not_found("no host " + std::to_string(to.value()));
  from.charge(Work::kTransportMessage, 1);
  from.charge(Work::kTransportByte, bytes.size());
  ++stats_.messages_sent;
  Connection& connection = connections_[from.id().value()][to];
  const std::optional<Path> path = topology_.path(from.host_link(), target->host_link());
  if (!target->up() || cut(from.id(), to) || !path) {
    // Like a TCP connect or write to an unreachable peer: the sender learns at once.
    if (connection.established) break_connection(from.id(), to);
    ++stats_.messages_lost;
    return Status::unavailable("host " + target->name() + " is unreachable");
  }
  // The message leaves once the sender has done the work charged so far in this handler, then
  // queues behind earlier messages on the bottleneck link direction.
  const TimePoint departure = now() + Duration(from.current_work_ns());
  const auto serialization = Duration(static_cast<std::int64_t>(
      static_cast<Int128>(bytes.size()) * 8 * 1'000'000'000 /
      static_cast<Int128>(std::max<std::uint64_t>(path->bottleneck_bps, 1))));
  const auto link_index = static_cast<std::size_t>(path->bottleneck.link);
  if (link_free_.size() <= link_index) link_free_.resize(link_index + 1);
  TimePoint& link_free = link_free_[link_index][path->bottleneck.forward ? 1 : 0];
  const TimePoint start = std::max(departure, link_free);
  link_free = start + serialization;
  const Duration jitter(net_rng_.between(0, path->jitter.count()));
  TimePoint arrival = start + serialization + path->latency + jitter;
  bool reordered = false;
  int copies = 1;
  if (const LinkFault* fault = fault_between(from.id(), to); fault != nullptr) {
    arrival += fault->extra_latency;
    if (net_rng_.chance(fault->loss)) copies = 0;
    if (copies > 0 && net_rng_.chance(fault->duplicate)) copies = 2;
    if (net_rng_.chance(fault->reorder)) {
      reordered = true;
      arrival += Duration(net_rng_.between(0, 2 * path->latency.count()));
    }
  }
  if (path->loss > 0.0 && net_rng_.chance(path->loss)) copies = 0;
  for (const NodeId end : {from.id(), to}) {
    const auto clog = clogged_until_.find(end);
    if (clog != clogged_until_.end() && clog->second > arrival) arrival = clog->second;
  }
  const auto link_clog = link_clogged_until_.find(unordered(from.id(), to));
  if (link_clog != link_clogged_until_.end() && link_clog->second > arrival) {
    arrival = link_clog->second;
  }
  if (!reordered) {
    // TCP keeps a connection's messages in order.
    if (arrival <= connection.last_arrival) arrival = connection.last_arrival + Duration(1);
    connection.last_arrival = arrival;
  }
  if (!connection.established) {
    connection.established = true;
    notify(from.id(), to, true, now(), from.id(), to, connection.epoch);
    notify(to, from.id(), true, arrival, from.id(), to, connection.epoch);
  }
  if (copies == 0) {
    ++stats_.messages_lost;
    return Status::ok();
  }
  const std::uint64_t connection_epoch = connection.epoch;
  const NodeId source = from.id();
  auto shared = std::make_shared<const std::string>(std::move(bytes));
  for (int copy = 0; copy < copies; ++copy) {
    if (copy > 0) ++stats_.messages_duplicated;
    target->run_at(arrival + Duration(copy), [this, source, to, connection_epoch, shared] {
      deliver(source, to, connection_epoch, shared);
    });
  }
  return Status::ok();
}

void Simulation::deliver(NodeId from, NodeId to, std::uint64_t connection_epoch,
                         const std::shared_ptr<const std::string>& bytes) {
  const Connection* connection = find_connection(from, to);
  if (connection == nullptr || connection->epoch != connection_epoch) {
    ++stats_.messages_lost;  // the connection broke while the message was in flight
    return;
  }
  SimHost* receiver = host(to);
  ++stats_.messages_delivered;
  stats_.bytes_delivered += bytes->size();
  if (classifier_) {
    const std::size_t kind = classifier_(*bytes);
    HERD_CHECK(kind < stats_.messages_by_class.size()) << "message class " << kind;
    ++stats_.messages_by_class[kind];
    stats_.bytes_by_class[kind] += bytes->size();
  }
  trace(TraceKind::kMessage, to, mix(from.value(), stable_hash(*bytes)));
  receiver->charge(Work::kTransportMessage, 1);
  receiver->charge(Work::kTransportByte, bytes->size());
  if (receiver->handler() != nullptr) receiver->handler()->on_message(from, *bytes);
}

void Simulation::set_message_classifier(MessageClassifier classifier, std::size_t classes) {
  classifier_ = std::move(classifier);
  stats_.messages_by_class.assign(classes, 0);
  stats_.bytes_by_class.assign(classes, 0);
}

void Simulation::crash(NodeId id) {
  SimHost* target = host(id);
  if (target == nullptr || !target->up()) return;
  trace(TraceKind::kFault, id, 1, "crash");
  target->crash();
  break_connections_of(id);
}

void Simulation::restart(NodeId id) {
  SimHost* target = host(id);
  if (target == nullptr || target->up()) return;
  trace(TraceKind::kFault, id, 2, "restart");
  // The new life starts knowing no peers.
  peer_view_.erase(peer_view_.lower_bound({id, kNoNode}),
                   peer_view_.lower_bound({NodeId(id.value() + 1), kNoNode}));
  target->boot();
}

int Simulation::partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b,
                          bool one_way) {
  const int id = next_cut_++;
  Cut& c = cuts_[id];
  c.a.insert(a.begin(), a.end());
  c.b.insert(b.begin(), b.end());
  c.one_way = one_way;
  trace(TraceKind::kFault, kNoNode, static_cast<std::uint64_t>(id),
        one_way ? "partition one-way" : "partition");
  break_cut_connections();
  return id;
}

int Simulation::partition_datacenters(const std::vector<std::string>& a,
                                      const std::vector<std::string>& b, bool one_way) {
  std::vector<NodeId> hosts_a;
  std::vector<NodeId> hosts_b;
  for (const std::string& dc : a) {
    for (const NodeId id : hosts_in(dc)) hosts_a.push_back(id);
  }
  for (const std::string& dc : b) {
    for (const NodeId id : hosts_in(dc)) hosts_b.push_back(id);
  }
  return partition(hosts_a, hosts_b, one_way);
}

void Simulation::heal_partition(int id) {
  if (cuts_.erase(id) != 0)
    trace(TraceKind::kFault, kNoNode, static_cast<std::uint64_t>(id), "heal");
}

void Simulation::heal() {
  trace(TraceKind::kFault, kNoNode, cuts_.size(), "heal all");
  cuts_.clear();
}

Status Simulation::set_wan_up(const std::string& a, const std::string& b, bool up) {
  HERD_RETURN_IF_ERROR(topology_.set_wan_up(a, b, up));
  trace(TraceKind::kFault, kNoNode, up ? 1 : 0, "wan " + a + " " + b);
  if (!up) break_cut_connections();
  return Status::ok();
}

void Simulation::set_host_link_up(NodeId id, bool up) {
  SimHost* target = host(id);
  HERD_CHECK(target != nullptr) << "link fault on unknown host " << id.value();
  trace(TraceKind::kFault, id, up ? 1 : 0, "host link");
  topology_.set_host_link_up(target->host_link(), up);
  if (!up) break_cut_connections();
}

void Simulation::clog(NodeId id, Duration duration) {
  trace(TraceKind::kFault, id, static_cast<std::uint64_t>(duration.count()), "clog");
  TimePoint& until = clogged_until_[id];
  until = std::max(until, now() + duration);
}

void Simulation::clog_link(NodeId a, NodeId b, Duration duration) {
  trace(TraceKind::kFault, a, b.value(), "clog link");
  TimePoint& until = link_clogged_until_[unordered(a, b)];
  until = std::max(until, now() + duration);
}

void Simulation::set_link_fault(NodeId a, NodeId b, LinkFault fault, Duration duration) {
  trace(TraceKind::kFault, a, b.value(), "link fault");
  link_faults_[unordered(a, b)] = TimedLinkFault{fault, now() + duration};
}

void Simulation::set_clock(NodeId id, Duration offset, std::int64_t drift_ppm) {
  SimHost* target = host(id);
  HERD_CHECK(target != nullptr) << "clock fault on unknown host " << id.value();
  trace(TraceKind::kFault, id, static_cast<std::uint64_t>(drift_ppm), "clock");
  target->set_clock(offset, drift_ppm);
}

void Simulation::set_cpu_factor(NodeId id, std::int64_t percent, Duration duration) {
  SimHost* target = host(id);
  HERD_CHECK(target != nullptr) << "cpu fault on unknown host " << id.value();
  trace(TraceKind::kFault, id, static_cast<std::uint64_t>(percent), "cpu slow");
  target->set_cpu_factor_percent(percent);
  at(now() + duration, [this, target, id] {
    trace(TraceKind::kFault, id, 100, "cpu normal");
    target->set_cpu_factor_percent(100);
  });
}

void Simulation::disk_fail_sync(NodeId id) {
  trace(TraceKind::kFault, id, 0, "disk fail sync");
  host(id)->disk().arm_fail_sync();
}

void Simulation::disk_tear_last_record(NodeId id) {
  trace(TraceKind::kFault, id, 0, "disk torn");
  host(id)->disk().arm_torn_last_record();
}

void Simulation::disk_corrupt_older_record(NodeId id) {
  trace(TraceKind::kFault, id, 0, "disk corrupt");
  host(id)->disk().arm_corrupt_older_record();
}

void Simulation::disk_slow(NodeId id, Duration sync_latency) {
  trace(TraceKind::kFault, id, static_cast<std::uint64_t>(sync_latency.count()), "disk slow");
  host(id)->disk().set_sync_latency(sync_latency);
}

}  // namespace herd::simnet
