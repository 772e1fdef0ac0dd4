#include "core/manager/api/spec_validation.h"

#include <cctype>
#include <set>

#include "core/manager/allocator/ip_pool.h"
#include "core/manager/scheduler/constraint.h"

namespace herd::manager {
namespace {

constexpr std::size_t kMaxSecretBytes = 500 * 1024;
constexpr std::int64_t kDefaultRestartDelay = 5'000'000'000;
constexpr std::int64_t kDefaultMonitor = 5'000'000'000;
constexpr std::int64_t kDefaultStopGrace = 10'000'000'000;

Status invalid(std::string_view field, std::string_view problem) {
  return Status::invalid_argument(std::string(field) + ": " + std::string(problem));
}

std::string indexed(std::string_view field, int index) {
  return std::string(field) + "[" + std::to_string(index) + "]";
}

Status check_non_negative(std::string_view field, std::int64_t value) {
  if (value < 0) return invalid(field, "must not be negative, got " + std::to_string(value));
  return Status::ok();
}

Status validate_update_config(std::string_view field, const proto::UpdateConfig& config) {
  HERD_RETURN_IF_ERROR(check_non_negative(std::string(field) + ".delay", config.delay_ns()));
  HERD_RETURN_IF_ERROR(check_non_negative(std::string(field) + ".monitor", config.monitor_ns()));
  if (!(config.max_failure_ratio() >= 0.0 && config.max_failure_ratio() <= 1.0)) {
    return invalid(std::string(field) + ".max_failure_ratio", "must be between 0 and 1");
  }
  return Status::ok();
}

}  // namespace

Status validate_name(std::string_view field, std::string_view name) {
  if (name.empty()) return invalid(field, "is required");
  if (name.size() > 63)
    return invalid(field, "'" + std::string(name) + "' is longer than 63 characters");
  if (!std::isalnum(static_cast<unsigned char>(name.front()))) {
    return invalid(field, "'" + std::string(name) + "' must start with a letter or digit");
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return invalid(field, "'" + std::string(name) + "' contains '" + std::string(1, c) +
                                "'; use letters, digits, '-', '_' and '.'");
    }
  }
  return Status::ok();
}

Status validate_service_spec(const proto::ServiceSpec& spec, const store::Store& store,
                             std::string_view self_id) {
  HERD_RETURN_IF_ERROR(validate_name("spec.name", spec.name()));
  if (const proto::Service* holder = store.table<proto::Service>().by_name(spec.name());
      holder != nullptr && holder->meta().id() != self_id) {
    return Status::already_exists("spec.name: service name '" + spec.name() + "' is taken by " +
                                  holder->meta().id());
  }
  if (spec.mode() == proto::SERVICE_MODE_REPLICATED && spec.replicas() > kMaxReplicas) {
    return invalid("spec.replicas", std::to_string(spec.replicas()) + " exceeds the maximum of " +
                                        std::to_string(kMaxReplicas));
  }
  if (spec.mode() == proto::SERVICE_MODE_GLOBAL && spec.replicas() != 0) {
    return invalid("spec.replicas", "a global service runs one task per node; replicas must be 0");
  }
  const proto::TaskSpec& task = spec.task();
  if (task.container().image().empty() && task.container().command().empty()) {
    return invalid("spec.task.container", "needs an image or a command");
  }
  HERD_RETURN_IF_ERROR(check_non_negative("spec.task.container.stop_grace_period",
                                          task.container().stop_grace_period_ns()));
  const proto::Resources& reservations = task.resources().reservations();
  const proto::Resources& limits = task.resources().limits();
  HERD_RETURN_IF_ERROR(
      check_non_negative("spec.task.resources.reservations.cpus", reservations.nano_cpus()));
  HERD_RETURN_IF_ERROR(
      check_non_negative("spec.task.resources.reservations.memory", reservations.memory_bytes()));
  HERD_RETURN_IF_ERROR(check_non_negative("spec.task.resources.limits.cpus", limits.nano_cpus()));
  HERD_RETURN_IF_ERROR(
      check_non_negative("spec.task.resources.limits.memory", limits.memory_bytes()));
  if (limits.nano_cpus() > 0 && reservations.nano_cpus() > limits.nano_cpus()) {
    return invalid("spec.task.resources.reservations.cpus", "exceeds the cpu limit");
  }
  if (limits.memory_bytes() > 0 && reservations.memory_bytes() > limits.memory_bytes()) {
    return invalid("spec.task.resources.reservations.memory", "exceeds the memory limit");
  }
  HERD_RETURN_IF_ERROR(check_non_negative("spec.task.restart.delay", task.restart().delay_ns()));
  HERD_RETURN_IF_ERROR(check_non_negative("spec.task.restart.window", task.restart().window_ns()));
  for (int i = 0; i < task.placement().constraints_size(); ++i) {
    Result<Constraint> constraint = parse_constraint(task.placement().constraints(i));
    if (!constraint.ok()) {
      return constraint.status().with_context(indexed("spec.task.placement.constraints", i));
    }
  }
  for (int i = 0; i < task.placement().preferences_size(); ++i) {
    Result<SpreadPreference> preference = parse_preference(task.placement().preferences(i));
    if (!preference.ok()) {
      return preference.status().with_context(indexed("spec.task.placement.preferences", i));
    }
  }
  for (int i = 0; i < task.networks_size(); ++i) {
    const std::string& target = task.networks(i).target();
    if (store.get<proto::Network>(target) == nullptr &&
        store.table<proto::Network>().by_name(target) == nullptr) {
      return Status::not_found(indexed("spec.task.networks", i) + ".target: network '" + target +
                               "' not found");
    }
  }
  for (int i = 0; i < task.secrets_size(); ++i) {
    const std::string& name = task.secrets(i).secret_name();
    const std::string& id = task.secrets(i).secret_id();
    if (store.get<proto::Secret>(id) == nullptr &&
        store.table<proto::Secret>().by_name(name) == nullptr) {
      return Status::not_found(indexed("spec.task.secrets", i) + ": secret '" +
                               (name.empty() ? id : name) + "' not found");
    }
  }
  // Ports: in range, no duplicates within the spec, no clash with another service's.
  std::set<std::pair<int, std::uint32_t>> seen;
  for (int i = 0; i < spec.endpoint().ports_size(); ++i) {
    const proto::PortConfig& port = spec.endpoint().ports(i);
    const std::string field = indexed("spec.endpoint.ports", i);
    if (port.target_port() == 0 || port.target_port() > 65535) {
      return invalid(field + ".target",
                     "port " + std::to_string(port.target_port()) + " is out of range 1-65535");
    }
    if (port.published_port() > 65535) {
      return invalid(field + ".published",
                     "port " + std::to_string(port.published_port()) + " is out of range 1-65535");
    }
    if (port.published_port() == 0) continue;
    if (!seen.insert({port.protocol(), port.published_port()}).second) {
      return invalid(field + ".published",
                     "port " + std::to_string(port.published_port()) + " is published twice");
    }
    for (const auto& [id, other] : store.table<proto::Service>().all()) {
      if (id == self_id) continue;
      for (const proto::PortConfig& used : other.endpoint().ports()) {
        if (used.published_port() == port.published_port() && used.protocol() == port.protocol()) {
          return Status::already_exists(field + ".published: port " +
                                        std::to_string(port.published_port()) +
                                        " is already published by service " + other.spec().name());
        }
      }
    }
  }
  HERD_RETURN_IF_ERROR(validate_update_config("spec.update", spec.update()));
  HERD_RETURN_IF_ERROR(validate_update_config("spec.rollback", spec.rollback()));
  return Status::ok();
}

void apply_service_defaults(proto::ServiceSpec& spec) {
  proto::TaskSpec& task = *spec.mutable_task();
  if (!task.restart().has_delay_ns()) task.mutable_restart()->set_delay_ns(kDefaultRestartDelay);
  if (!task.container().has_stop_grace_period_ns()) {
    task.mutable_container()->set_stop_grace_period_ns(kDefaultStopGrace);
  }
  for (proto::UpdateConfig* config : {spec.mutable_update(), spec.mutable_rollback()}) {
    if (!config->has_parallelism()) config->set_parallelism(1);
    if (!config->has_monitor_ns()) config->set_monitor_ns(kDefaultMonitor);
  }
}

Status validate_network_spec(const proto::NetworkSpec& spec, const store::Store& store) {
  HERD_RETURN_IF_ERROR(validate_name("spec.name", spec.name()));
  if (const proto::Network* holder = store.table<proto::Network>().by_name(spec.name())) {
    return Status::already_exists("spec.name: network name '" + spec.name() + "' is taken by " +
                                  holder->meta().id());
  }
  if (!spec.driver().empty() && spec.driver() != "overlay") {
    return invalid("spec.driver", "'" + spec.driver() + "' is not supported (use overlay)");
  }
  if (spec.ingress()) {
    for (const auto& [id, network] : store.table<proto::Network>().all()) {
      if (network.spec().ingress()) {
        return Status::already_exists("spec.ingress: the cluster already has an ingress network, " +
                                      network.spec().name());
      }
    }
  }
  if (!spec.ipam().subnet().empty()) {
    Result<Subnet> subnet = parse_subnet(spec.ipam().subnet());
    if (!subnet.ok()) return subnet.status().with_context("spec.ipam.subnet");
    for (const auto& [id, network] : store.table<proto::Network>().all()) {
      const std::string& other = network.ipam().subnet().empty() ? network.spec().ipam().subnet()
                                                                 : network.ipam().subnet();
      Result<Subnet> used = parse_subnet(other);
      if (used.ok() && used->overlaps(*subnet)) {
        return invalid("spec.ipam.subnet", spec.ipam().subnet() + " overlaps " + other +
                                               " of network " + network.spec().name());
      }
    }
  }
  return Status::ok();
}

Status validate_secret_spec(const proto::SecretSpec& spec, const store::Store& store) {
  HERD_RETURN_IF_ERROR(validate_name("spec.name", spec.name()));
  if (const proto::Secret* holder = store.table<proto::Secret>().by_name(spec.name())) {
    return Status::already_exists("spec.name: secret name '" + spec.name() + "' is taken by " +
                                  holder->meta().id());
  }
  if (spec.data().empty()) return invalid("spec.data", "is empty");
  if (spec.data().size() > kMaxSecretBytes) {
    return invalid("spec.data", std::to_string(spec.data().size()) + " bytes exceed the limit of " +
                                    std::to_string(kMaxSecretBytes));
  }
  return Status::ok();
}

Status validate_cluster_spec(const proto::ClusterSpec& spec) {
  if (spec.raft().election_tick() != 0 &&
      spec.raft().election_tick() <= spec.raft().heartbeat_tick()) {
    return invalid("spec.raft.election_tick", "must be greater than heartbeat_tick");
  }
  HERD_RETURN_IF_ERROR(check_non_negative("spec.dispatcher.heartbeat_period",
                                          spec.dispatcher().heartbeat_period_ns()));
  HERD_RETURN_IF_ERROR(check_non_negative("spec.raft.tick", spec.raft().tick_ns()));
  HERD_RETURN_IF_ERROR(
      check_non_negative("spec.ca.node_cert_expiry", spec.ca().node_cert_expiry_ns()));
  if (spec.orchestration().task_history_retention_limit() > 1000) {
    return invalid("spec.orchestration.task_history_retention_limit", "is over 1000");
  }
  return Status::ok();
}

}  // namespace herd::manager
