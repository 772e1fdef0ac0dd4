#include "scenarios/sim_cluster.h"

namespace herd::scenarios {
namespace {

simnet::LinkSpec link_of(const LinkSpec& spec) {
  simnet::LinkSpec link;
  link.latency = spec.latency;
  link.jitter = spec.jitter;
  link.bandwidth_bps = spec.bandwidth_bps;
  link.loss = spec.loss;
  return link;
}

}  // namespace

// Holds a host's node for simnet.
struct SimCluster::Adapter final : simnet::SimNode {
  Adapter(Env& env, node::NodeConfig config) : node(env, std::move(config)) {}
  ~Adapter() override {
    if (counts != nullptr && node.manager() != nullptr) {
      node.manager()->remove_store_watcher(counts.get());
    }
  }
  node::Node node;
  Status started;
  std::unique_ptr<StoreCounts> counts;  // a manager's store, counted
};

SimCluster::SimCluster(const Scenario& scenario, std::uint64_t seed)
    : scenario_(scenario), sim_(std::make_unique<simnet::Simulation>(seed)) {
  for (const DatacenterSpec& dc : scenario.topology.datacenters) {
    HERD_CHECK(sim_->topology().add_datacenter(dc.name, link_of(dc.lan)).is_ok());
  }
  for (const WanSpec& wan : scenario.topology.wan) {
    HERD_CHECK(sim_->topology().add_wan(wan.a, wan.b, link_of(wan.link)).is_ok());
  }
}

SimCluster::~SimCluster() = default;

node::NodeConfig SimCluster::node_config(NodeId id, const std::string& name, bool manager,
                                         bool bootstrap, const HostSpec& host) {
  node::NodeConfig config;
  config.id = id;
  config.hostname = name;
  config.addr = name;
  config.manager = manager;
  config.bootstrap = bootstrap;
  config.join_token = manager ? manager_token_ : worker_token_;
  if (!bootstrap) config.join_managers = managers_;
  config.description.set_hostname(name);
  config.description.mutable_resources()->set_nano_cpus(static_cast<std::int64_t>(host.cores) *
                                                        1'000'000'000);
  config.description.mutable_resources()->set_memory_bytes(
      static_cast<std::int64_t>(host.memory_bytes));
  config.description.mutable_platform()->set_os("linux");
  config.description.mutable_platform()->set_architecture("x86_64");
  for (const auto& [key, value] : host.labels)
    (*config.description.mutable_engine_labels())[key] = value;
  const ClusterSettings& settings = scenario_.cluster;
  config.manager_config.tick = settings.tick;
  config.manager_config.heartbeat_tick = settings.heartbeat_tick;
  config.manager_config.election_tick = settings.election_tick;
  config.manager_config.snapshot_interval = settings.snapshot_interval;
  return config;
}

simnet::NodeFactory SimCluster::factory(node::NodeConfig config) {
  return [this, config](simnet::SimHost& host) -> std::unique_ptr<simnet::SimNode> {
    auto adapter = std::make_unique<Adapter>(host.env(), config);
    adapter->started = adapter->node.start();
    if (adapter->started.is_ok() && adapter->node.manager() != nullptr) {
      manager::ManagerNode& manager = *adapter->node.manager();
      if (observer_ != nullptr) manager.set_observer(observer_);
      adapter->counts = std::make_unique<StoreCounts>(manager.store());
      manager.add_store_watcher(adapter->counts.get());
    }
    if (!adapter->started.is_ok()) {
      host.env().logger.error("node.start_failed", {{"error", adapter->started.to_string()}});
    }
    return adapter;
  };
}

void SimCluster::add_host(NodeId id, const std::string& name, const std::string& datacenter,
                          bool manager, bool bootstrap, const HostSpec& host) {
  simnet::HostSpec spec;
  spec.cores = host.cores;
  spec.memory_bytes = host.memory_bytes;
  sim_->add_host(id, name, datacenter, spec,
                 factory(node_config(id, name, manager, bootstrap, host)));
  (manager ? managers_ : workers_).push_back(id);
}

node::Node* SimCluster::node_of(simnet::SimHost& host) {
  auto* adapter = dynamic_cast<Adapter*>(host.node());
  return adapter == nullptr || !adapter->started.is_ok() ? nullptr : &adapter->node;
}

Status SimCluster::start_status(simnet::SimHost& host) {
  auto* adapter = dynamic_cast<Adapter*>(host.node());
  return adapter == nullptr ? Status::ok() : adapter->started;
}

const StoreCounts* SimCluster::store_counts(simnet::SimHost& host) {
  auto* adapter = dynamic_cast<Adapter*>(host.node());
  return adapter == nullptr || !adapter->started.is_ok() ? nullptr : adapter->counts.get();
}

manager::ManagerNode* SimCluster::manager_of(simnet::SimHost& host) {
  node::Node* n = node_of(host);
  return n == nullptr ? nullptr : n->manager();
}

std::string SimCluster::store_node_id(simnet::SimHost& host) {
  node::Node* n = node_of(host);
  return n == nullptr ? "" : n->identity().store_node_id();
}

simnet::SimHost* SimCluster::leader() {
  simnet::SimHost* best = nullptr;
  Term best_term;
  for (NodeId id : managers_) {
    simnet::SimHost* host = sim_->host(id);
    if (host == nullptr || !host->up()) continue;
    manager::ManagerNode* m = manager_of(*host);
    if (m == nullptr || !m->is_leader()) continue;
    const Term term = m->raft_status().term;
    if (best == nullptr || term > best_term) {
      best = host;
      best_term = term;
    }
  }
  return best;
}

Status SimCluster::form(Duration limit) {
  // The first manager, in the first datacenter that has one.
  int manager_index = 0;
  const DatacenterSpec* first_dc = nullptr;
  for (const DatacenterSpec& dc : scenario_.topology.datacenters) {
    if (dc.managers > 0) {
      first_dc = &dc;
      break;
    }
  }
  if (first_dc == nullptr) return Status::invalid_argument("the topology has no manager");
  add_host(NodeId(next_id_++), scenario_.manager_name(manager_index++), first_dc->name, true, true,
           first_dc->manager_host);
  const TimePoint deadline = sim_->now() + limit;
  while (sim_->now() < deadline) {
    sim_->loop().run_for(milliseconds(250));
    simnet::SimHost* l = leader();
    if (l == nullptr) continue;
    const auto& clusters = manager_of(*l)->store().table<proto::Cluster>().all();
    if (clusters.empty()) continue;
    worker_token_ = clusters.begin()->second.root_ca().join_tokens().worker();
    manager_token_ = clusters.begin()->second.root_ca().join_tokens().manager();
    break;
  }
  if (worker_token_.empty()) {
    return Status::unavailable("the first manager did not form a cluster within " +
                               format_duration(limit));
  }
  // The other managers, in datacenter order.
  bool first = true;
  for (const DatacenterSpec& dc : scenario_.topology.datacenters) {
    for (int i = 0; i < dc.managers; ++i) {
      if (first && &dc == first_dc) {
        first = false;
        continue;
      }
      add_host(NodeId(next_id_++), scenario_.manager_name(manager_index++), dc.name, true, false,
               dc.manager_host);
    }
  }
  next_manager_index_ = manager_index;
  // Workers, spread evenly over join_spread.
  const int total = scenario_.topology.worker_count();
  int worker_index = 0;
  for (const DatacenterSpec& dc : scenario_.topology.datacenters) {
    for (int i = 0; i < dc.workers; ++i) {
      const Duration at =
          total <= 1 ? Duration(0) : scenario_.cluster.join_spread * worker_index / total;
      const NodeId id(next_id_++);
      const std::string name = scenario_.worker_name(worker_index++);
      const std::string dc_name = dc.name;
      const HostSpec host = dc.worker_host;
      workers_.push_back(id);
      sim_->loop().schedule_after(at, [this, id, name, dc_name, host] {
        simnet::HostSpec spec;
        spec.cores = host.cores;
        spec.memory_bytes = host.memory_bytes;
        sim_->add_host(id, name, dc_name, spec, factory(node_config(id, name, false, false, host)));
      });
    }
  }
  next_worker_index_ = worker_index;
  return Status::ok();
}

void SimCluster::join(int count, proto::NodeRole role, const std::string& datacenter) {
  const DatacenterSpec* dc = nullptr;
  for (const DatacenterSpec& candidate : scenario_.topology.datacenters) {
    if (candidate.name == datacenter) dc = &candidate;
  }
  HERD_CHECK(dc != nullptr) << "unknown datacenter " << datacenter;
  for (int i = 0; i < count; ++i) {
    const bool manager = role == proto::NODE_ROLE_MANAGER;
    const std::string name = manager ? "mg" + std::to_string(next_manager_index_++)
                                     : "w" + std::to_string(next_worker_index_++);
    add_host(NodeId(next_id_++), name, datacenter, manager, false,
             manager ? dc->manager_host : dc->worker_host);
  }
}

Result<proto::ControlResponse> SimCluster::control(const proto::ControlRequest& request,
                                                   Duration timeout) {
  const TimePoint deadline = sim_->now() + timeout;
  while (sim_->now() < deadline) {
    simnet::SimHost* target = leader();
    if (target == nullptr) {
      sim_->loop().run_for(milliseconds(500));
      continue;
    }
    std::optional<proto::ControlResponse> response;
    const std::uint64_t epoch = target->epoch();
    target->run_at(sim_->now(), [this, target, &request, &response] {
      manager::ManagerNode* m = manager_of(*target);
      if (m == nullptr) return;
      m->control(request, [&response](proto::ControlResponse r) { response = std::move(r); });
    });
    while (!response && sim_->now() < deadline && target->epoch() == epoch) {
      sim_->loop().run_for(milliseconds(20));
    }
    if (!response) continue;  // the leader died or lost leadership: ask again
    if (response->code() == "not_leader" || response->code() == "unavailable") {
      sim_->loop().run_for(milliseconds(500));
      continue;
    }
    return std::move(*response);
  }
  return Status::unavailable("no answer to the control request within " + format_duration(timeout));
}

RunningTasks SimCluster::running_tasks() {
  RunningTasks running;
  for (const auto& [id, host] : sim_->hosts()) {
    if (!host->up()) continue;
    const std::string node_id = store_node_id(*host);
    if (node_id.empty()) continue;
    if (host->executor().stats().alive == 0) continue;
    std::vector<std::string> tasks = host->executor().alive_ids();
    if (!tasks.empty()) running.emplace(node_id, std::move(tasks));
  }
  return running;
}

}  // namespace herd::scenarios
