#include "simnet/topology.h"

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/dijkstra_shortest_paths.hpp>
#include <limits>
#include <memory>

namespace herd::simnet {
namespace {

using EdgeProperties =
    boost::property<boost::edge_weight_t, std::int64_t, boost::property<boost::edge_index_t, int>>;
using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS,
                                    boost::no_property, EdgeProperties>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;

struct Link {
  LinkSpec spec;
  int a = -1;  // datacenter vertex (WAN) or -1 for a host link
  int b = -1;
  bool up = true;
};

}  // namespace

struct Topology::Impl {
  std::map<std::string, int> datacenters;  // name -> vertex
  std::vector<std::string> names;
  std::vector<LinkSpec> lans;     // per datacenter
  std::vector<Link> links;        // host links and WAN links
  std::vector<int> host_link_dc;  // for host links: datacenter vertex; -1 for WAN
  // Per source datacenter: distance (ns) and the WAN link used to reach each datacenter.
  mutable std::map<int, std::pair<std::vector<std::int64_t>, std::vector<int>>> routes;

  void invalidate() { routes.clear(); }

  const std::pair<std::vector<std::int64_t>, std::vector<int>>& route_from(int source) const {
    const auto cached = routes.find(source);
    if (cached != routes.end()) return cached->second;
    // Vertices: the datacenters' switches, then one per link (a host's vertex for a host link,
    // an unused one for a WAN link). Edges: the links that are up, weighted by latency.
    const std::size_t vertices = names.size() + links.size();
    Graph graph(vertices);
    std::vector<int> edge_link;
    for (std::size_t i = 0; i < links.size(); ++i) {
      const Link& link = links[i];
      if (!link.up) continue;
      const bool host = link.a < 0;
      const auto a = static_cast<Vertex>(host ? host_link_dc[i] : link.a);
      const auto b =
          static_cast<Vertex>(host ? names.size() + i : static_cast<std::size_t>(link.b));
      const std::int64_t weight = host ? link.spec.latency.count() / 2 : link.spec.latency.count();
      boost::add_edge(a, b,
                      EdgeProperties(weight, boost::property<boost::edge_index_t, int>(
                                                 static_cast<int>(edge_link.size()))),
                      graph);
      edge_link.push_back(static_cast<int>(i));
    }
    // Hosts are leaves, so the shortest routes between switches are the same for every host of
    // the source datacenter: one Dijkstra per source datacenter serves them all.
    std::vector<std::int64_t> distance(vertices);
    std::vector<Vertex> predecessor(vertices);
    boost::dijkstra_shortest_paths(graph, static_cast<Vertex>(source),
                                   boost::predecessor_map(predecessor.data())
                                       .distance_map(distance.data())
                                       .weight_map(boost::get(boost::edge_weight, graph))
                                       .distance_inf(std::numeric_limits<std::int64_t>::max())
                                       .distance_zero(0));
    // The WAN link into each vertex on its shortest path (-1 for the source or unreachable).
    distance.resize(names.size());
    std::vector<int> via(names.size(), -1);
    for (std::size_t v = 0; v < names.size(); ++v) {
      if (predecessor[v] == v) continue;
      const auto [edge, found] = boost::edge(predecessor[v], static_cast<Vertex>(v), graph);
      if (found)
        via[v] = edge_link[static_cast<std::size_t>(boost::get(boost::edge_index, graph, edge))];
    }
    return routes.emplace(source, std::make_pair(std::move(distance), std::move(via)))
        .first->second;
  }
};

Topology::Topology() : impl_(std::make_unique<Impl>()) {}
Topology::~Topology() = default;

Status Topology::add_datacenter(const std::string& name, LinkSpec lan) {
  if (impl_->datacenters.count(name) != 0) {
    return Status::already_exists("datacenter '" + name + "' exists");
  }
  impl_->datacenters.emplace(name, static_cast<int>(impl_->names.size()));
  impl_->names.push_back(name);
  impl_->lans.push_back(lan);
  impl_->invalidate();
  return Status::ok();
}

bool Topology::has_datacenter(const std::string& name) const {
  return impl_->datacenters.count(name) != 0;
}

std::size_t Topology::datacenter_count() const { return impl_->names.size(); }

Status Topology::add_wan(const std::string& a, const std::string& b, LinkSpec link) {
  const auto ia = impl_->datacenters.find(a);
  const auto ib = impl_->datacenters.find(b);
  if (ia == impl_->datacenters.end() || ib == impl_->datacenters.end()) {
    return Status::not_found("WAN link between unknown datacenters '" + a + "' and '" + b + "'");
  }
  impl_->links.push_back(Link{link, ia->second, ib->second, true});
  impl_->host_link_dc.push_back(-1);
  impl_->invalidate();
  return Status::ok();
}

Status Topology::set_wan_up(const std::string& a, const std::string& b, bool up) {
  const auto ia = impl_->datacenters.find(a);
  const auto ib = impl_->datacenters.find(b);
  if (ia == impl_->datacenters.end() || ib == impl_->datacenters.end()) {
    return Status::not_found("unknown datacenter '" + a + "' or '" + b + "'");
  }
  bool found = false;
  for (Link& link : impl_->links) {
    if ((link.a == ia->second && link.b == ib->second) ||
        (link.a == ib->second && link.b == ia->second)) {
      link.up = up;
      found = true;
    }
  }
  if (!found) return Status::not_found("no WAN link between '" + a + "' and '" + b + "'");
  impl_->invalidate();
  return Status::ok();
}

void Topology::set_host_link_up(int host_link, bool up) {
  impl_->links[static_cast<std::size_t>(host_link)].up = up;
  impl_->invalidate();
}

int Topology::add_host_link(const std::string& datacenter) {
  const int dc = impl_->datacenters.at(datacenter);
  impl_->links.push_back(Link{impl_->lans[static_cast<std::size_t>(dc)], -1, -1, true});
  impl_->host_link_dc.push_back(dc);
  return static_cast<int>(impl_->links.size() - 1);
}

const std::string& Topology::datacenter_of_link(int host_link) const {
  return impl_
      ->names[static_cast<std::size_t>(impl_->host_link_dc[static_cast<std::size_t>(host_link)])];
}

std::optional<Path> Topology::path(int from_host_link, int to_host_link) const {
  const Link& from = impl_->links[static_cast<std::size_t>(from_host_link)];
  const Link& to = impl_->links[static_cast<std::size_t>(to_host_link)];
  if (!from.up || !to.up) return std::nullopt;
  const int from_dc = impl_->host_link_dc[static_cast<std::size_t>(from_host_link)];
  const int to_dc = impl_->host_link_dc[static_cast<std::size_t>(to_host_link)];
  Path path;
  // Each host's LAN link contributes half of the datacenter's LAN latency and jitter.
  path.latency = from.spec.latency / 2 + to.spec.latency / 2;
  path.jitter = from.spec.jitter / 2 + to.spec.jitter / 2;
  path.bottleneck_bps = from.spec.bandwidth_bps;
  path.bottleneck = LinkDirection{from_host_link, true};
  path.loss = 1.0 - (1.0 - from.spec.loss) * (1.0 - to.spec.loss);
  if (to.spec.bandwidth_bps < path.bottleneck_bps) {
    path.bottleneck_bps = to.spec.bandwidth_bps;
    path.bottleneck = LinkDirection{to_host_link, false};
  }
  if (from_dc == to_dc) return path;
  const auto& [distance, via] = impl_->route_from(from_dc);
  if (distance[static_cast<std::size_t>(to_dc)] == std::numeric_limits<std::int64_t>::max()) {
    return std::nullopt;
  }
  path.latency += Duration(distance[static_cast<std::size_t>(to_dc)]);
  // Walk back from the destination along the WAN links of the route.
  int vertex = to_dc;
  while (vertex != from_dc) {
    const int link_index = via[static_cast<std::size_t>(vertex)];
    if (link_index < 0) return std::nullopt;
    const Link& link = impl_->links[static_cast<std::size_t>(link_index)];
    path.jitter += link.spec.jitter;
    path.loss = 1.0 - (1.0 - path.loss) * (1.0 - link.spec.loss);
    const int previous = link.a == vertex ? link.b : link.a;
    if (link.spec.bandwidth_bps < path.bottleneck_bps) {
      path.bottleneck_bps = link.spec.bandwidth_bps;
      path.bottleneck = LinkDirection{link_index, link.a == previous};
    }
    vertex = previous;
  }
  return path;
}

const std::vector<std::string>& Topology::datacenter_names() const { return impl_->names; }

Status build_lan(Topology& topology, const std::string& name, LinkSpec lan) {
  return topology.add_datacenter(name, lan);
}

Status build_datacenters(Topology& topology, int count, LinkSpec lan, LinkSpec wan) {
  for (int i = 1; i <= count; ++i) {
    HERD_RETURN_IF_ERROR(topology.add_datacenter("dc" + std::to_string(i), lan));
  }
  for (int i = 1; i <= count; ++i) {
    for (int j = i + 1; j <= count; ++j) {
      HERD_RETURN_IF_ERROR(
          topology.add_wan("dc" + std::to_string(i), "dc" + std::to_string(j), wan));
    }
  }
  return Status::ok();
}

std::vector<int> manager_layout(int managers, int datacenters) {
  std::vector<int> layout(static_cast<std::size_t>(std::max(datacenters, 1)), 0);
  for (int i = 0; i < managers; ++i) ++layout[static_cast<std::size_t>(i) % layout.size()];
  return layout;
}

}  // namespace herd::simnet
