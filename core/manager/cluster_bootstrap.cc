#include "core/manager/cluster_bootstrap.h"

#include "core/manager/ca/root_ca.h"
#include "core/store/object_id.h"

namespace herd::manager {

proto::ClusterSpec default_cluster_spec() {
  proto::ClusterSpec spec;
  spec.set_name(std::string(kDefaultClusterName));
  proto::RaftSettings* raft = spec.mutable_raft();
  raft->set_snapshot_interval(10'000);
  raft->set_keep_old_snapshots(0);
  raft->set_log_entries_for_slow_followers(500);
  raft->set_heartbeat_tick(1);
  raft->set_election_tick(10);
  raft->set_tick_ns(Duration(seconds(1)).count());
  spec.mutable_dispatcher()->set_heartbeat_period_ns(Duration(seconds(5)).count());
  spec.mutable_orchestration()->set_task_history_retention_limit(5);
  spec.mutable_ca()->set_node_cert_expiry_ns(kDefaultCertExpiry.count());
  return spec;
}

Result<store::WriteTx> bootstrap_cluster(const store::Store& store, Rng& rng, TimePoint now) {
  store::WriteTx tx;
  if (!store.table<proto::Cluster>().all().empty()) return tx;
  proto::Cluster cluster;
  cluster.mutable_meta()->set_id(store::new_object_id(rng));
  cluster.mutable_meta()->set_created_at_ns(to_nanos(now));
  *cluster.mutable_spec() = default_cluster_spec();
  HERD_ASSIGN_OR_RETURN(*cluster.mutable_root_ca(), RootCa::create(rng, now));
  tx.create(std::move(cluster));

  if (store.table<proto::Network>().by_name(kIngressNetworkName) == nullptr) {
    proto::Network ingress;
    ingress.mutable_meta()->set_id(store::new_object_id(rng));
    ingress.mutable_meta()->set_created_at_ns(to_nanos(now));
    ingress.mutable_spec()->set_name(std::string(kIngressNetworkName));
    ingress.mutable_spec()->set_driver("overlay");
    ingress.mutable_spec()->set_ingress(true);
    tx.create(std::move(ingress));
  }
  return tx;
}

}  // namespace herd::manager
