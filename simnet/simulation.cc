#include "simnet/simulation.h"

#include <algorithm>

namespace herd::simnet {
namespace {

__extension__ typedef __int128 Int128;  // GCC/Clang builtin, for exact serialization times

std::uint64_t mix(std::uint64_t state, std::uint64_t value) {
  std::uint64_t z = state ^ (value + 0x9E3779B97F4A7C15ULL + (state << 6) + (state >> 2));
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

Simulation::Simulation(std::uint64_t seed, CostTable costs)
    : seed_(seed), root_rng_(seed), net_rng_(root_rng_.fork("net")), costs_(costs) {}

Simulation::~Simulation() {
  // Nodes go first: their destructors may still use the loop through their clocks.
  for (auto& [id, host] : hosts_) host->crash();
  hosts_.clear();
}

SimHost& Simulation::add_host(NodeId id, const std::string& name, const std::string& datacenter,
                              HostSpec spec, NodeFactory factory) {
  HERD_CHECK(hosts_.count(id) == 0) << "host id " << id << " added twice";
  HERD_CHECK(topology_.has_datacenter(datacenter)) << "unknown datacenter " << datacenter;
  const int link = topology_.add_host_link(datacenter);
  auto host = std::make_unique<SimHost>(*this, id, name, link, spec, std::move(factory));
  SimHost& ref = *host;
  hosts_.emplace(id, std::move(host));
  names_.emplace(name, id);
  ref.boot();
  return ref;
}

SimHost* Simulation::host(NodeId id) {
  const auto it = hosts_.find(id);
  return it == hosts_.end() ? nullptr : it->second.get();
}

SimHost* Simulation::host_by_name(const std::string& name) {
  const auto it = names_.find(name);
  return it == names_.end() ? nullptr : host(it->second);
}

void Simulation::trace(std::string_view kind, NodeId host, std::uint64_t value,
                       std::string_view detail) {
  ++trace_events_;
  trace_hash_ = mix(trace_hash_, stable_hash(kind));
  trace_hash_ = mix(trace_hash_, host.value());
  trace_hash_ = mix(trace_hash_, static_cast<std::uint64_t>(to_nanos(now())));
  trace_hash_ = mix(trace_hash_, value);
  if (trace_out_ == nullptr) return;
  const int level = kind.starts_with("fault") ? 0 : kind == "message" ? 1 : 2;
  if (level > trace_level_) return;
  *trace_out_ << "{\"t_ns\":" << to_nanos(now()) << ",\"kind\":\"" << kind
              << "\",\"host\":" << host.value() << ",\"value\":" << value;
  if (!detail.empty()) {
    *trace_out_ << ",\"detail\":\"";
    for (char c : detail) {
      if (c == '"' || c == '\\') *trace_out_ << '\\';
      *trace_out_ << c;
    }
    *trace_out_ << "\"";
  }
  *trace_out_ << "}\n";
}

void Simulation::notify(NodeId at, NodeId peer, bool up, TimePoint when) {
  SimHost* host = this->host(at);
  if (host == nullptr || !host->up()) return;
  host->run_at(when, [this, host, peer, up] {
    if (host->handler() == nullptr) return;
    trace(up ? "peer_up" : "peer_down", host->id(), peer.value());
    if (up) {
      host->handler()->on_peer_up(peer);
    } else {
      host->handler()->on_peer_down(peer);
    }
  });
}

void Simulation::break_connection(NodeId from, NodeId to, std::string_view why) {
  const auto it = connections_.find({from, to});
  if (it == connections_.end() || !it->second.established) return;
  it->second.established = false;
  ++it->second.epoch;  // in-flight messages on it are lost
  trace("connection_broken", from, to.value(), why);
  notify(from, to, false, now());
  notify(to, from, false, now());
}

void Simulation::break_connections_of(NodeId id, std::string_view why) {
  for (auto& [pair, connection] : connections_) {
    if (pair.first == id || pair.second == id) break_connection(pair.first, pair.second, why);
  }
}

const LinkFault* Simulation::fault_between(NodeId a, NodeId b) const {
  const auto it = link_faults_.find({std::min(a, b), std::max(a, b)});
  if (it == link_faults_.end() || it->second.until <= now()) return nullptr;
  return &it->second;
}

Status Simulation::send(SimHost& from, NodeId to, std::string bytes) {
  SimHost* target = host(to);
  if (target == nullptr) return Status::not_found("no host " + std::to_string(to.value()));
  from.charge(Work::kTransportMessage, 1);
  from.charge(Work::kTransportByte, bytes.size());
  ++stats_.messages_sent;
  Connection& connection = connections_[{from.id(), to}];
  const std::optional<Path> path = topology_.path(from.host_link(), target->host_link());
  if (!target->up() || cut(from.id(), to) || !path) {
    // Like a TCP connect or write to a dead peer: the sender learns at once.
    if (connection.established) break_connection(from.id(), to, "unreachable");
    ++stats_.messages_lost;
    return Status::unavailable("host " + target->name() + " is unreachable");
  }
  const TimePoint departure = now() + Duration(from.current_work_ns());
  const std::int64_t serialization = static_cast<std::int64_t>(
      static_cast<Int128>(bytes.size()) * 8 * 1'000'000'000 /
      static_cast<Int128>(std::max<std::uint64_t>(path->bottleneck_bps, 1)));
  TimePoint& link_free = link_free_[path->bottleneck];
  const TimePoint start = std::max(departure, link_free);
  link_free = start + Duration(serialization);
  const Duration jitter(net_rng_.between(0, path->jitter.count()));
  TimePoint arrival = start + Duration(serialization) + path->latency + jitter;
  const LinkFault* fault = fault_between(from.id(), to);
  bool reordered = false;
  int copies = 1;
  if (fault != nullptr) {
    arrival += fault->extra_latency;
    if (net_rng_.chance(fault->loss)) copies = 0;
    if (copies > 0 && net_rng_.chance(fault->duplicate)) copies = 2;
    if (net_rng_.chance(fault->reorder)) {
      reordered = true;
      arrival += Duration(net_rng_.between(0, 2 * path->latency.count() + 1));
    }
  }
  if (path->loss > 0.0 && net_rng_.chance(path->loss)) copies = 0;
  for (NodeId end : {from.id(), to}) {
    const auto clog = clogged_until_.find(end);
    if (clog != clogged_until_.end() && clog->second > arrival) arrival = clog->second;
  }
  if (!reordered) {
    // TCP keeps a connection's messages in order.
    if (arrival <= connection.last_arrival) arrival = connection.last_arrival + Duration(1);
    connection.last_arrival = arrival;
  }
  if (!connection.established) {
    connection.established = true;
    notify(from.id(), to, true, now());
    notify(to, from.id(), true, arrival);
  }
  if (copies == 0) {
    ++stats_.messages_lost;
    return Status::ok();
  }
  const std::uint64_t connection_epoch = connection.epoch;
  const NodeId source = from.id();
  auto shared = std::make_shared<const std::string>(std::move(bytes));
  for (int copy = 0; copy < copies; ++copy) {
    target->run_at(arrival + Duration(copy), [this, source, to, connection_epoch, shared] {
      const auto it = connections_.find({source, to});
      SimHost* receiver = host(to);
      if (it == connections_.end() || it->second.epoch != connection_epoch || receiver == nullptr) {
        ++stats_.messages_lost;
        return;
      }
      ++stats_.messages_delivered;
      stats_.bytes_delivered += shared->size();
      trace("message", to, mix(source.value(), stable_hash(*shared)));
      if (message_observer_) message_observer_(source, to, *shared);
      receiver->charge(Work::kTransportMessage, 1);
      receiver->charge(Work::kTransportByte, shared->size());
      if (receiver->handler() != nullptr) receiver->handler()->on_message(source, *shared);
    });
  }
  return Status::ok();
}

void Simulation::crash(NodeId id) {
  SimHost* target = host(id);
  if (target == nullptr || !target->up()) return;
  trace("fault.crash", id, 0, target->name());
  target->crash();
  break_connections_of(id, "host crashed");
}

void Simulation::restart(NodeId id) {
  SimHost* target = host(id);
  if (target == nullptr || target->up()) return;
  trace("fault.restart", id, 0, target->name());
  target->boot();
}

void Simulation::partition(const std::vector<NodeId>& a, const std::vector<NodeId>& b,
                           bool one_way) {
  trace("fault.partition", NodeId(a.size()), b.size() * 2 + (one_way ? 1 : 0));
  for (NodeId x : a) {
    for (NodeId y : b) {
      if (x == y) continue;
      cuts_.insert({x, y});
      break_connection(x, y, "partition");
      if (!one_way) {
        cuts_.insert({y, x});
        break_connection(y, x, "partition");
      }
    }
  }
}

void Simulation::heal() {
  trace("fault.heal", kNoNode, cuts_.size());
  cuts_.clear();
}

void Simulation::clog(NodeId id, Duration duration) {
  trace("fault.clog", id, static_cast<std::uint64_t>(duration.count()));
  TimePoint& until = clogged_until_[id];
  until = std::max(until, now() + duration);
}

void Simulation::set_link_fault(NodeId a, NodeId b, LinkFault fault) {
  trace("fault.link", a, b.value());
  link_faults_[{std::min(a, b), std::max(a, b)}] = fault;
}

}  // namespace herd::simnet
