// Validation and defaults for the specs users send to the control API.
//
// Each check returns invalid_argument (or not_found / already_exists for references and names)
// with a message that starts with the path of the field at fault, e.g.
// "spec.task.placement.constraints[1]: constraint 'node.labels.x === y': invalid character '='".
// apply_service_defaults() fills in SwarmKit's defaults for fields the user left out.
// Pure functions of the spec and the store; deterministic.
#pragma once

#include <string>
#include <string_view>

#include "core/runtime/status.h"
#include "core/store/store.h"
#include "proto/objects.pb.h"

namespace herd::manager {

inline constexpr std::uint64_t kMaxReplicas = 1'000'000;

// `self_id` is the service being updated ("" on create), so its own name and ports are no
// conflict.
Status validate_service_spec(const proto::ServiceSpec& spec, const store::Store& store,
                             std::string_view self_id);
void apply_service_defaults(proto::ServiceSpec& spec);

Status validate_network_spec(const proto::NetworkSpec& spec, const store::Store& store);
Status validate_secret_spec(const proto::SecretSpec& spec, const store::Store& store);
Status validate_cluster_spec(const proto::ClusterSpec& spec);

// Names of services, networks and secrets: 1-63 characters, letters, digits, '-', '_' and '.',
// starting with a letter or digit.
Status validate_name(std::string_view field, std::string_view name);

}  // namespace herd::manager
