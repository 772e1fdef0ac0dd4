// What a new cluster's first leader writes (SwarmKit's becomeLeader on a fresh store): the
// cluster object with SwarmKit's default settings, its root CA and join tokens, and the ingress
// network. On a store that already has a cluster it writes nothing. Deterministic: ids, keys and
// tokens come from the caller's Rng.
#pragma once

#include <string>

#include "core/runtime/result.h"
#include "core/runtime/rng.h"
#include "core/runtime/time.h"
#include "core/store/store.h"
#include "core/store/write_tx.h"

namespace herd::manager {

inline constexpr std::string_view kDefaultClusterName = "default";
inline constexpr std::string_view kIngressNetworkName = "ingress";

// SwarmKit's defaults for a new cluster (SPEC §4, §5).
proto::ClusterSpec default_cluster_spec();

// The transaction that initializes an empty store, or an empty transaction when the store
// already holds a cluster.
Result<store::WriteTx> bootstrap_cluster(const store::Store& store, Rng& rng, TimePoint now);

}  // namespace herd::manager
