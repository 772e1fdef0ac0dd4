#include "core/manager/allocator/allocator.h"

#include <algorithm>

#include "core/codec/proto_codec.h"
#include "core/manager/orchestrator/task_factory.h"

namespace herd::manager {
namespace {

constexpr std::uint32_t kDefaultPoolBase = 10U << 24;               // 10.0.0.0
constexpr std::uint32_t kIngressBase = (10U << 24) | (255U << 16);  // 10.255.0.0
constexpr int kDefaultPrefix = 24;
constexpr int kIngressPrefix = 16;

bool needs_allocation(const proto::Task& task) {
  return task.status().state() == proto::TASK_STATE_NEW &&
         task.desired_state() <= proto::TASK_STATE_RUNNING;
}

bool publishes_ingress(const proto::EndpointSpec& spec) {
  for (const proto::PortConfig& port : spec.ports()) {
    if (port.publish_mode() == proto::PUBLISH_MODE_INGRESS) return true;
  }
  return false;
}

}  // namespace

Allocator::Allocator(LeaderContext& context) : context_(context) {
  context_.store.add_watcher(this);
  rebuild();
  allocate();
}

Allocator::~Allocator() { context_.store.remove_watcher(this); }

std::uint32_t Allocator::port_key(const proto::PortConfig& port) {
  return (static_cast<std::uint32_t>(port.protocol()) << 16) | port.published_port();
}

void Allocator::rebuild() {
  pools_.clear();
  task_addresses_.clear();
  published_ports_.clear();
  new_tasks_.clear();
  const store::Store& store = context_.store;
  for (const auto& [id, network] : store.table<proto::Network>().all()) {
    if (network.ipam().subnet().empty()) continue;
    Result<Subnet> subnet = parse_subnet(network.ipam().subnet());
    if (subnet.ok()) pools_.emplace(id, IpPool(*subnet));
  }
  for (const auto& [id, service] : store.table<proto::Service>().all()) {
    for (const proto::PortConfig& port : service.endpoint().ports()) {
      if (port.published_port() != 0) published_ports_[port_key(port)] = id;
    }
    for (const proto::VirtualIp& vip : service.endpoint().virtual_ips()) {
      const auto pool = pools_.find(vip.network_id());
      Result<std::uint32_t> address = parse_address(vip.addr());
      if (pool != pools_.end() && address.ok()) pool->second.reserve(*address);
    }
  }
  for (const auto& [id, task] : store.table<proto::Task>().all()) {
    if (needs_allocation(task)) new_tasks_.insert(id);
    if (has_ended(task)) continue;
    for (const proto::NetworkAttachment& attachment : task.networks()) {
      const auto pool = pools_.find(attachment.network_id());
      for (const std::string& text : attachment.addresses()) {
        Result<std::uint32_t> address = parse_address(text);
        if (pool == pools_.end() || !address.ok()) continue;
        pool->second.reserve(*address);
        task_addresses_[id].push_back(Address{attachment.network_id(), *address});
      }
    }
  }
  dirty_ = true;
}

void Allocator::release_task(const std::string& task_id) {
  const auto it = task_addresses_.find(task_id);
  if (it == task_addresses_.end()) return;
  dirty_ = true;  // a task waiting for an address may fit now
  for (const Address& address : it->second) {
    const auto pool = pools_.find(address.network_id);
    if (pool != pools_.end()) pool->second.release(address.address);
  }
  task_addresses_.erase(it);
}

void Allocator::on_store_event(const store::Event& event) {
  if (const auto* task = std::get_if<store::Change<proto::Task>>(&event)) {
    const std::string& id = task->current().meta().id();
    if (task->removed() || has_ended(*task->after)) release_task(id);
    if (!task->removed() && needs_allocation(*task->after)) {
      new_tasks_.insert(id);
      dirty_ = true;
    } else {
      new_tasks_.erase(id);
    }
    return;
  }
  if (const auto* service = std::get_if<store::Change<proto::Service>>(&event)) {
    // Give back the ports and VIPs the service held before and holds no more (all of them
    // when it was removed).
    if (service->before != nullptr) {
      const std::string& id = service->before->meta().id();
      const proto::Endpoint empty;
      const proto::Endpoint& now = service->removed() ? empty : service->after->endpoint();
      for (const proto::PortConfig& port : service->before->endpoint().ports()) {
        const bool kept = std::any_of(now.ports().begin(), now.ports().end(),
                                      [&](const auto& p) { return port_key(p) == port_key(port); });
        const auto holder = published_ports_.find(port_key(port));
        if (!kept && holder != published_ports_.end() && holder->second == id) {
          published_ports_.erase(holder);
        }
      }
      for (const proto::VirtualIp& vip : service->before->endpoint().virtual_ips()) {
        const bool kept =
            std::any_of(now.virtual_ips().begin(), now.virtual_ips().end(), [&](const auto& v) {
              return v.network_id() == vip.network_id() && v.addr() == vip.addr();
            });
        const auto pool = pools_.find(vip.network_id());
        Result<std::uint32_t> address = parse_address(vip.addr());
        if (!kept && pool != pools_.end() && address.ok()) pool->second.release(*address);
      }
    }
    dirty_ = true;
    return;
  }
  if (const auto* network = std::get_if<store::Change<proto::Network>>(&event)) {
    if (network->removed()) {
      pools_.erase(network->before->meta().id());
    } else if (!network->after->ipam().subnet().empty() &&
               pools_.find(network->after->meta().id()) == pools_.end()) {
      Result<Subnet> subnet = parse_subnet(network->after->ipam().subnet());
      if (subnet.ok()) pools_.emplace(network->after->meta().id(), IpPool(*subnet));
    }
    dirty_ = true;
  }
}

void Allocator::on_store_commit(std::uint64_t) { allocate(); }

void Allocator::on_store_reset() {
  rebuild();
  allocate();
}

const proto::Network* Allocator::resolve_network(const std::string& target) const {
  if (const proto::Network* by_id = context_.store.get<proto::Network>(target)) return by_id;
  return context_.store.table<proto::Network>().by_name(target);
}

std::vector<const proto::Network*> Allocator::networks_of(const proto::Service& service) const {
  std::vector<const proto::Network*> networks;
  for (const proto::NetworkAttachmentConfig& config : service.spec().task().networks()) {
    networks.push_back(resolve_network(config.target()));
  }
  if (publishes_ingress(service.spec().endpoint())) {
    for (const auto& [id, network] : context_.store.table<proto::Network>().all()) {
      if (network.spec().ingress()) {
        networks.push_back(&network);
        break;
      }
    }
  }
  return networks;
}

bool Allocator::endpoint_ready(const proto::Service& service) const {
  if (codec::encode_message(service.endpoint().spec()) !=
      codec::encode_message(service.spec().endpoint())) {
    return false;
  }
  const std::vector<const proto::Network*> networks = networks_of(service);
  if (static_cast<int>(networks.size()) != service.endpoint().virtual_ips_size()) return false;
  for (std::size_t i = 0; i < networks.size(); ++i) {
    if (networks[i] == nullptr ||
        networks[i]->meta().id() !=
            service.endpoint().virtual_ips(static_cast<int>(i)).network_id()) {
      return false;
    }
  }
  return true;
}

Result<proto::Endpoint> Allocator::build_endpoint(const proto::Service& service) {
  const std::string& id = service.meta().id();
  // What this call takes, so that a failure part-way gives it all back.
  std::vector<std::uint32_t> taken_ports;
  std::vector<Address> taken_vips;
  const auto fail = [&](Status status) -> Result<proto::Endpoint> {
    for (std::uint32_t key : taken_ports) published_ports_.erase(key);
    for (const Address& vip : taken_vips) pools_.at(vip.network_id).release(vip.address);
    return status;
  };
  proto::Endpoint endpoint;
  *endpoint.mutable_spec() = service.spec().endpoint();
  // Ports: keep what this service already had for the same target and protocol.
  std::map<std::pair<std::uint32_t, int>, std::uint32_t> previous;
  for (const proto::PortConfig& port : service.endpoint().ports()) {
    previous[{port.target_port(), port.protocol()}] = port.published_port();
  }
  for (const proto::PortConfig& wanted : service.spec().endpoint().ports()) {
    proto::PortConfig port = wanted;
    if (port.published_port() == 0 && port.publish_mode() == proto::PUBLISH_MODE_INGRESS) {
      const auto kept = previous.find({port.target_port(), port.protocol()});
      if (kept != previous.end() && kept->second != 0) {
        port.set_published_port(kept->second);
      } else {
        for (std::uint32_t candidate = kFirstDynamicPort; candidate <= kLastDynamicPort;
             ++candidate) {
          port.set_published_port(candidate);
          if (published_ports_.find(port_key(port)) == published_ports_.end()) break;
          port.set_published_port(0);
        }
        if (port.published_port() == 0) {
          return fail(Status::resource_exhausted("no free published port in 30000-32767"));
        }
      }
    }
    if (port.published_port() != 0) {
      const auto holder = published_ports_.find(port_key(port));
      if (holder != published_ports_.end() && holder->second != id) {
        return fail(Status::already_exists("published port " +
                                           std::to_string(port.published_port()) +
                                           " is in use by service " + holder->second));
      }
      if (holder == published_ports_.end()) {
        published_ports_[port_key(port)] = id;
        taken_ports.push_back(port_key(port));
      }
    }
    *endpoint.add_ports() = std::move(port);
  }
  // Virtual IPs: one per network, keeping existing ones.
  std::map<std::string, std::string> previous_vips;
  for (const proto::VirtualIp& vip : service.endpoint().virtual_ips()) {
    previous_vips[vip.network_id()] = vip.addr();
  }
  for (const proto::Network* network : networks_of(service)) {
    if (network == nullptr)
      return fail(Status::not_found("a network of the service does not exist"));
    const auto pool = pools_.find(network->meta().id());
    if (pool == pools_.end()) {
      return fail(Status::unavailable("network " + network->spec().name() + " has no subnet yet"));
    }
    proto::VirtualIp* vip = endpoint.add_virtual_ips();
    vip->set_network_id(network->meta().id());
    const auto kept = previous_vips.find(network->meta().id());
    if (kept != previous_vips.end()) {
      vip->set_addr(kept->second);
      continue;
    }
    const std::optional<std::uint32_t> address = pool->second.allocate();
    if (!address) {
      return fail(Status::resource_exhausted("network " + network->spec().name() +
                                             " has no free address for a virtual IP"));
    }
    taken_vips.push_back(Address{network->meta().id(), *address});
    vip->set_addr(format_address(*address) + "/" + std::to_string(pool->second.subnet().prefix));
  }
  return endpoint;
}

void Allocator::allocate_networks(store::WriteTx& tx) {
  for (const auto& [id, network] : context_.store.table<proto::Network>().all()) {
    if (!network.ipam().subnet().empty()) continue;
    Subnet subnet;
    if (!network.spec().ipam().subnet().empty()) {
      Result<Subnet> wanted = parse_subnet(network.spec().ipam().subnet());
      if (!wanted.ok()) continue;  // the control API refuses such specs
      subnet = *wanted;
    } else if (network.spec().ingress()) {
      subnet = Subnet{kIngressBase, kIngressPrefix};
    } else {
      // The lowest 10.0.N.0/24 that overlaps no allocated subnet.
      for (std::uint32_t n = 1; n < 255; ++n) {
        const Subnet candidate{kDefaultPoolBase | (n << 8), kDefaultPrefix};
        const bool taken = std::any_of(pools_.begin(), pools_.end(), [&](const auto& entry) {
          return entry.second.subnet().overlaps(candidate);
        });
        if (!taken) {
          subnet = candidate;
          break;
        }
      }
      if (subnet.prefix == 0) continue;  // pool exhausted; stays unallocated
    }
    proto::Network updated = network;
    updated.mutable_ipam()->set_subnet(format_subnet(subnet));
    updated.mutable_ipam()->set_gateway(IpPool(subnet).gateway());
    pools_.emplace(id, IpPool(subnet));
    tx.update(std::move(updated));
  }
}

void Allocator::allocate_services(store::WriteTx& tx) {
  for (const auto& [id, service] : context_.store.table<proto::Service>().all()) {
    if (endpoint_ready(service)) continue;
    Result<proto::Endpoint> endpoint = build_endpoint(service);
    if (!endpoint.ok()) continue;  // retried on the next change; tasks wait
    proto::Service updated = service;
    *updated.mutable_endpoint() = std::move(endpoint).value();
    tx.update(std::move(updated));
  }
}

void Allocator::allocate_tasks(store::WriteTx& tx) {
  const store::Store& store = context_.store;
  const std::int64_t now = to_nanos(context_.clock.now());
  std::map<std::string_view, bool> ready;  // per service, for this pass
  for (const std::string& id : new_tasks_) {
    const proto::Task& task = *store.get<proto::Task>(id);
    const proto::Service* service = store.get<proto::Service>(task.service_id());
    if (service == nullptr) continue;
    const auto [known, inserted] = ready.try_emplace(task.service_id(), false);
    if (inserted) known->second = endpoint_ready(*service);
    if (!known->second) continue;
    std::vector<Address> addresses;
    std::string problem;
    for (const proto::Network* network : networks_of(*service)) {
      const auto pool = pools_.find(network->meta().id());
      const std::optional<std::uint32_t> address =
          pool == pools_.end() ? std::nullopt : pool->second.allocate();
      if (!address) {
        problem = "network " + network->spec().name() + " has no free address";
        break;
      }
      addresses.push_back(Address{network->meta().id(), *address});
    }
    if (!problem.empty()) {
      for (const Address& address : addresses)
        pools_.at(address.network_id).release(address.address);
      if (task.status().pending_reason() != problem) {
        proto::TaskStatus status = task.status();
        status.set_pending_reason(problem);
        tx.task_status(id, task.meta().version(), "", std::move(status));
      }
      continue;
    }
    proto::TaskStatus status = task.status();
    status.set_state(proto::TASK_STATE_PENDING);
    status.set_timestamp_ns(now);
    status.set_message("pending task scheduling");
    status.clear_pending_reason();
    const bool endpoint_current =
        codec::encode_message(task.endpoint()) == codec::encode_message(service->endpoint());
    if (addresses.empty() && endpoint_current) {
      tx.task_status(id, task.meta().version(), "", std::move(status));
    } else {
      proto::Task updated = task;
      *updated.mutable_status() = std::move(status);
      *updated.mutable_endpoint() = service->endpoint();
      updated.clear_networks();
      for (const Address& address : addresses) {
        proto::NetworkAttachment* attachment = updated.add_networks();
        attachment->set_network_id(address.network_id);
        attachment->add_addresses(format_address(address.address) + "/" +
                                  std::to_string(pools_.at(address.network_id).subnet().prefix));
      }
      tx.update(std::move(updated));
    }
    if (!addresses.empty()) task_addresses_[id] = std::move(addresses);
  }
}

void Allocator::allocate() {
  if (in_flight_ || !dirty_) return;
  dirty_ = false;
  store::WriteTx tx;
  tx.set_independent_actions();
  allocate_networks(tx);
  allocate_services(tx);
  allocate_tasks(tx);
  if (tx.empty()) return;
  in_flight_ = true;
  context_.cost.charge(Work::kAllocatorTask, tx.size());
  context_.proposer.propose(std::move(tx).release(), [this](const Status& status) {
    in_flight_ = false;
    if (status.code() == StatusCode::kNotLeader || status.code() == StatusCode::kUnavailable) {
      return;
    }
    // Allocations already counted here but not written must not leak: start from the store.
    if (!status.is_ok()) rebuild();
    dirty_ = true;
    allocate();
  });
}

}  // namespace herd::manager
