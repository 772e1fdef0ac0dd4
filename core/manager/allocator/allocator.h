// Allocator: gives networks their subnets, services their published ports and virtual IPs, and
// tasks their addresses, then moves tasks from NEW to PENDING (SwarmKit's allocator).
//
// Subnets without an explicit one come from 10.0.N.0/24 (N = 1, 2, ...), ingress from
// 10.255.0.0/16. Ingress-mode ports with no published port get the lowest free one in
// 30000-32767; every published port is unique in the cluster. A service's endpoint (ports and one
// VIP per attached network, plus ingress when it publishes ports) is allocated before its tasks;
// a task gets one address per attached network. A task whose resources cannot be had stays NEW
// with the reason in its status. Addresses and ports are released when tasks end or are deleted
// and when services are removed. Leader-only; state is rebuilt from the store on start and after
// a failed proposal. Reacts on commit; deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/manager/allocator/ip_pool.h"
#include "core/manager/leader_context.h"
#include "core/store/write_tx.h"

namespace herd::manager {

class Allocator final : public store::Watcher {
 public:
  static constexpr std::uint32_t kFirstDynamicPort = 30000;
  static constexpr std::uint32_t kLastDynamicPort = 32767;

  explicit Allocator(LeaderContext& context);
  ~Allocator() override;
  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  void on_store_event(const store::Event& event) override;
  void on_store_commit(std::uint64_t version) override;
  void on_store_reset() override;

  // Runs one allocation pass over everything waiting, unless a pass is in flight.
  void allocate();

 private:
  struct Address {
    std::string network_id;
    std::uint32_t address;
  };

  void rebuild();
  void release_task(const std::string& task_id);
  void allocate_networks(store::WriteTx& tx);
  void allocate_services(store::WriteTx& tx);
  void allocate_tasks(store::WriteTx& tx);
  // The network a spec refers to, by id or by name.
  const proto::Network* resolve_network(const std::string& target) const;
  std::vector<const proto::Network*> networks_of(const proto::Service& service) const;
  bool endpoint_ready(const proto::Service& service) const;
  Result<proto::Endpoint> build_endpoint(const proto::Service& service);
  static std::uint32_t port_key(const proto::PortConfig& port);

  LeaderContext& context_;
  std::map<std::string, IpPool, std::less<>> pools_;                         // by network id
  std::map<std::string, std::vector<Address>, std::less<>> task_addresses_;  // by task id
  std::map<std::uint32_t, std::string> published_ports_;  // protocol << 16 | port -> service id
  std::set<std::string, std::less<>> new_tasks_;          // NEW tasks waiting for allocation
  bool in_flight_ = false;
  bool dirty_ = true;
};

}  // namespace herd::manager
