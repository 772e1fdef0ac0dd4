// Topology: hosts, datacenter switches and the links between them, as a Boost.Graph graph, and
// the paths between hosts.
//
// Each datacenter is a switch vertex; every host is a vertex hanging off its datacenter's switch
// through its own LAN link (latency, jitter, bandwidth, loss as the datacenter's `lan` says); WAN
// links join switches. A path between two hosts in one datacenter is their two LAN halves
// (together the LAN latency); between datacenters it adds the shortest WAN route by latency
// (Dijkstra over the graph), computed once per source datacenter and recomputed when a link goes
// up or down. The path reports its total latency and jitter bound, its bottleneck bandwidth and
// which link direction that is, for serialization and queueing. Deterministic: vertices and edges
// in insertion order.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/runtime/result.h"
#include "core/runtime/time.h"

namespace herd::simnet {

struct LinkSpec {
  Duration latency = microseconds(200);
  Duration jitter = microseconds(50);
  std::uint64_t bandwidth_bps = 10'000'000'000;
  double loss = 0.0;  // datagram loss on top of TCP semantics; 0 for TCP-like links
};

// A direction of a link that carries traffic, for its FIFO serialization queue.
struct LinkDirection {
  int link = 0;  // index in Topology's links
  bool forward = true;
  friend auto operator<=>(const LinkDirection&, const LinkDirection&) = default;
};

struct Path {
  Duration latency{0};
  Duration jitter{0};
  std::uint64_t bottleneck_bps = 0;
  LinkDirection bottleneck;
  double loss = 0.0;
};

class Topology {
 public:
  Topology();
  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  Status add_datacenter(const std::string& name, LinkSpec lan);
  Status add_wan(const std::string& a, const std::string& b, LinkSpec link);
  Status set_wan_up(const std::string& a, const std::string& b, bool up);
  // A host's own LAN link (its cable): while down, the host has no path to anyone.
  void set_host_link_up(int host_link, bool up);
  bool has_datacenter(const std::string& name) const;

  // `host_link` is the host's LAN link index (from add_host_link).
  int add_host_link(const std::string& datacenter);
  const std::string& datacenter_of_link(int host_link) const;

  // nullopt when the datacenters are not connected (WAN down).
  std::optional<Path> path(int from_host_link, int to_host_link) const;

  std::size_t datacenter_count() const;
  const std::vector<std::string>& datacenter_names() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The usual shapes. One LAN: a single datacenter `name`.
Status build_lan(Topology& topology, const std::string& name, LinkSpec lan);
// `count` datacenters dc1..dcN, every pair joined by a WAN link with the same spec.
Status build_datacenters(Topology& topology, int count, LinkSpec lan, LinkSpec wan);
// How many of `managers` go to each of `datacenters` datacenters, spread as evenly as possible
// with the first datacenters taking the extra ones: the Swarm book's 5(3) is {2, 2, 1}, 5(4) is
// {2, 1, 1, 1}, 6(4) is {2, 2, 1, 1}, and 5(1) is {5}.
std::vector<int> manager_layout(int managers, int datacenters);

}  // namespace herd::simnet
