#include "scenarios/scenario_parser.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "scenarios/units.h"

namespace herd::scenarios {
namespace {

using nlohmann::json;

std::string describe(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case json::value_t::string:
      return "\"" + value.get<std::string>() + "\"";
    case json::value_t::array:
      return "an array";
    case json::value_t::object:
      return "an object";
    default:
      return value.dump();
  }
}

Status error(const std::string& path, const std::string& problem) {
  return Status::invalid_argument(path + ": " + problem);
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string at_index(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

// Reads the fields of one JSON object by name and refuses the ones nobody asked for.
class Fields {
 public:
  Fields(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  static Result<Fields> of(const json& value, const std::string& path) {
    if (!value.is_object()) return error(path, "expected an object, got " + describe(value));
    return Fields(value, path);
  }

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const { return join(path_, key); }

  const json* get(std::string_view key) {
    known_.insert(std::string(key));
    const auto it = object_.find(std::string(key));
    return it == object_.end() ? nullptr : &*it;
  }
  bool has(std::string_view key) const { return object_.contains(std::string(key)); }

  Status finish() const {
    for (const auto& [key, value] : object_.items()) {
      if (known_.count(key) == 0) return error(join(path_, key), "unknown field");
    }
    return Status::ok();
  }

  Status required(std::string_view key) {
    if (get(key) == nullptr) return error(path_of(key), "is required");
    return Status::ok();
  }

  Status string(std::string_view key, std::string& out, bool required = false) {
    const json* value = get(key);
    if (value == nullptr) return required ? error(path_of(key), "is required") : Status::ok();
    if (!value->is_string())
      return error(path_of(key), "expected a string, got " + describe(*value));
    out = value->get<std::string>();
    return Status::ok();
  }

  Status boolean(std::string_view key, bool& out) {
    const json* value = get(key);
    if (value == nullptr) return Status::ok();
    if (!value->is_boolean())
      return error(path_of(key), "expected true or false, got " + describe(*value));
    out = value->get<bool>();
    return Status::ok();
  }

  template <typename Int>
  Status integer(std::string_view key, Int& out, std::int64_t min, std::int64_t max,
                 bool required = false) {
    const json* value = get(key);
    if (value == nullptr) return required ? error(path_of(key), "is required") : Status::ok();
    if (!value->is_number_integer()) {
      return error(path_of(key), "expected an integer, got " + describe(*value));
    }
    if (value->is_number_unsigned() &&
        value->get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
      return error(path_of(key), std::to_string(value->get<std::uint64_t>()) + " is outside " +
                                     std::to_string(min) + ".." + std::to_string(max));
    }
    const std::int64_t number = value->get<std::int64_t>();
    if (number < min || number > max) {
      return error(path_of(key), std::to_string(number) + " is outside " + std::to_string(min) +
                                     ".." + std::to_string(max));
    }
    out = static_cast<Int>(number);
    return Status::ok();
  }

  Status number(std::string_view key, double& out, double min, double max, bool required = false) {
    const json* value = get(key);
    if (value == nullptr) return required ? error(path_of(key), "is required") : Status::ok();
    if (!value->is_number())
      return error(path_of(key), "expected a number, got " + describe(*value));
    const double number = value->get<double>();
    if (!(number >= min && number <= max)) {
      std::ostringstream range;
      range << number << " is outside [" << min << ", " << max << "]";
      return error(path_of(key), range.str());
    }
    out = number;
    return Status::ok();
  }

  Status probability(std::string_view key, double& out, bool required = false) {
    return number(key, out, 0.0, 1.0, required);
  }

  Status duration(std::string_view key, Duration& out, bool required = false,
                  bool allow_negative = false) {
    const json* value = get(key);
    if (value == nullptr) return required ? error(path_of(key), "is required") : Status::ok();
    if (!value->is_string()) {
      return error(path_of(key),
                   "expected a duration string like \"30s\", got " + describe(*value));
    }
    Result<Duration> parsed = parse_duration(value->get<std::string>());
    if (!parsed.ok()) return error(path_of(key), parsed.status().message());
    if (!allow_negative && *parsed < Duration::zero())
      return error(path_of(key), "must not be negative");
    out = *parsed;
    return Status::ok();
  }

  Status optional_duration(std::string_view key, std::optional<Duration>& out,
                           bool required = false) {
    Duration value{0};
    if (!has(key)) {
      get(key);
      return required ? error(path_of(key), "is required") : Status::ok();
    }
    HERD_RETURN_IF_ERROR(duration(key, value, true));
    out = value;
    return Status::ok();
  }

  Status size(std::string_view key, std::uint64_t& out) {
    const json* value = get(key);
    if (value == nullptr) return Status::ok();
    if (!value->is_string())
      return error(path_of(key), "expected a size like \"512MiB\", got " + describe(*value));
    Result<std::uint64_t> parsed = parse_size(value->get<std::string>());
    if (!parsed.ok()) return error(path_of(key), parsed.status().message());
    out = *parsed;
    return Status::ok();
  }

  Status rate(std::string_view key, std::uint64_t& out) {
    const json* value = get(key);
    if (value == nullptr) return Status::ok();
    if (!value->is_string())
      return error(path_of(key), "expected a rate like \"10Gbps\", got " + describe(*value));
    Result<std::uint64_t> parsed = parse_rate(value->get<std::string>());
    if (!parsed.ok()) return error(path_of(key), parsed.status().message());
    if (*parsed == 0) return error(path_of(key), "must be positive");
    out = *parsed;
    return Status::ok();
  }

  Status string_map(std::string_view key, std::map<std::string, std::string>& out) {
    const json* value = get(key);
    if (value == nullptr) return Status::ok();
    if (!value->is_object())
      return error(path_of(key), "expected an object of strings, got " + describe(*value));
    for (const auto& [k, v] : value->items()) {
      if (!v.is_string())
        return error(join(path_of(key), k), "expected a string, got " + describe(v));
      out[k] = v.get<std::string>();
    }
    return Status::ok();
  }

  Status string_list(std::string_view key, std::vector<std::string>& out) {
    const json* value = get(key);
    if (value == nullptr) return Status::ok();
    if (!value->is_array())
      return error(path_of(key), "expected an array of strings, got " + describe(*value));
    for (std::size_t i = 0; i < value->size(); ++i) {
      if (!(*value)[i].is_string()) {
        return error(at_index(path_of(key), i), "expected a string, got " + describe((*value)[i]));
      }
      out.push_back((*value)[i].get<std::string>());
    }
    return Status::ok();
  }

 private:
  const json& object_;
  std::string path_;
  std::set<std::string> known_;
};

Status parse_host(const json& value, const std::string& path, HostSpec& host) {
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(value, path));
  HERD_RETURN_IF_ERROR(fields.integer("cores", host.cores, 1, 1024));
  HERD_RETURN_IF_ERROR(fields.size("memory", host.memory_bytes));
  HERD_RETURN_IF_ERROR(fields.string_map("labels", host.labels));
  return fields.finish();
}

Status parse_link(Fields& fields, LinkSpec& link) {
  HERD_RETURN_IF_ERROR(fields.duration("latency", link.latency));
  HERD_RETURN_IF_ERROR(fields.duration("jitter", link.jitter));
  HERD_RETURN_IF_ERROR(fields.rate("bandwidth", link.bandwidth_bps));
  HERD_RETURN_IF_ERROR(fields.probability("loss", link.loss));
  return Status::ok();
}

Status parse_topology(const json& value, Topology& topology) {
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(value, "topology"));
  const json* dcs = fields.get("datacenters");
  if (dcs == nullptr) return error("topology.datacenters", "is required");
  if (!dcs->is_array() || dcs->empty()) {
    return error("topology.datacenters", "expected a non-empty array, got " + describe(*dcs));
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < dcs->size(); ++i) {
    const std::string path = at_index("topology.datacenters", i);
    HERD_ASSIGN_OR_RETURN(Fields dc_fields, Fields::of((*dcs)[i], path));
    DatacenterSpec dc;
    HERD_RETURN_IF_ERROR(dc_fields.string("name", dc.name, true));
    if (!names.insert(dc.name).second) {
      return error(dc_fields.path_of("name"), "datacenter '" + dc.name + "' is defined twice");
    }
    HERD_RETURN_IF_ERROR(dc_fields.integer("managers", dc.managers, 0, 9));
    HERD_RETURN_IF_ERROR(dc_fields.integer("workers", dc.workers, 0, 1'000'000));
    if (const json* host = dc_fields.get("manager_host")) {
      HERD_RETURN_IF_ERROR(parse_host(*host, dc_fields.path_of("manager_host"), dc.manager_host));
    }
    if (const json* host = dc_fields.get("worker_host")) {
      HERD_RETURN_IF_ERROR(parse_host(*host, dc_fields.path_of("worker_host"), dc.worker_host));
    }
    if (const json* lan = dc_fields.get("lan")) {
      HERD_ASSIGN_OR_RETURN(Fields lan_fields, Fields::of(*lan, dc_fields.path_of("lan")));
      HERD_RETURN_IF_ERROR(parse_link(lan_fields, dc.lan));
      HERD_RETURN_IF_ERROR(lan_fields.finish());
    }
    HERD_RETURN_IF_ERROR(dc_fields.string_list("manager_names", dc.manager_names));
    HERD_RETURN_IF_ERROR(dc_fields.string_list("worker_names", dc.worker_names));
    if (dc.manager_names.size() > static_cast<std::size_t>(dc.managers) ||
        dc.worker_names.size() > static_cast<std::size_t>(dc.workers)) {
      return error(path, "more names than hosts");
    }
    HERD_RETURN_IF_ERROR(dc_fields.finish());
    topology.datacenters.push_back(std::move(dc));
  }
  if (topology.manager_count() == 0)
    return error("topology.datacenters", "needs at least one manager");
  if (const json* wan = fields.get("wan")) {
    if (!wan->is_array()) return error("topology.wan", "expected an array, got " + describe(*wan));
    for (std::size_t i = 0; i < wan->size(); ++i) {
      const std::string path = at_index("topology.wan", i);
      HERD_ASSIGN_OR_RETURN(Fields wan_fields, Fields::of((*wan)[i], path));
      std::vector<std::string> between;
      HERD_RETURN_IF_ERROR(wan_fields.string_list("between", between));
      if (between.size() != 2)
        return error(wan_fields.path_of("between"), "needs exactly two datacenters");
      for (const std::string& name : between) {
        if (names.count(name) == 0) {
          return error(wan_fields.path_of("between"), "unknown datacenter '" + name + "'");
        }
      }
      WanSpec link{between[0], between[1],
                   LinkSpec{milliseconds(30), milliseconds(2), 1'000'000'000, 0.0}};
      HERD_RETURN_IF_ERROR(parse_link(wan_fields, link.link));
      HERD_RETURN_IF_ERROR(wan_fields.finish());
      topology.wan.push_back(std::move(link));
    }
  }
  return fields.finish();
}

Status parse_cluster(const json& value, ClusterSettings& cluster) {
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(value, "cluster"));
  HERD_RETURN_IF_ERROR(fields.duration("tick", cluster.tick));
  HERD_RETURN_IF_ERROR(fields.integer("heartbeat_tick", cluster.heartbeat_tick, 1, 1000));
  HERD_RETURN_IF_ERROR(fields.integer("election_tick", cluster.election_tick, 2, 10000));
  HERD_RETURN_IF_ERROR(
      fields.integer("snapshot_interval", cluster.snapshot_interval, 1, 1'000'000'000));
  HERD_RETURN_IF_ERROR(fields.duration("heartbeat_period", cluster.heartbeat_period));
  HERD_RETURN_IF_ERROR(fields.integer("task_history_limit", cluster.task_history_limit, -1, 1000));
  HERD_RETURN_IF_ERROR(fields.boolean("drain_managers", cluster.drain_managers));
  HERD_RETURN_IF_ERROR(fields.duration("join_spread", cluster.join_spread));
  if (cluster.tick <= Duration::zero()) return error("cluster.tick", "must be positive");
  if (cluster.heartbeat_period <= Duration::zero())
    return error("cluster.heartbeat_period", "must be positive");
  if (cluster.election_tick <= cluster.heartbeat_tick) {
    return error("cluster.election_tick", "must be greater than heartbeat_tick");
  }
  return fields.finish();
}

Status parse_update_config(const json& value, const std::string& path,
                           proto::UpdateConfig& config) {
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(value, path));
  std::uint64_t parallelism = 1;
  if (fields.has("parallelism")) {
    HERD_RETURN_IF_ERROR(fields.integer("parallelism", parallelism, 0, 1'000'000));
    config.set_parallelism(parallelism);
  } else {
    fields.get("parallelism");
  }
  Duration delay{0};
  HERD_RETURN_IF_ERROR(fields.duration("delay", delay));
  config.set_delay_ns(delay.count());
  std::string action;
  HERD_RETURN_IF_ERROR(fields.string("failure_action", action));
  if (action == "pause" || action.empty()) {
    config.set_failure_action(proto::UPDATE_FAILURE_ACTION_PAUSE);
  } else if (action == "continue") {
    config.set_failure_action(proto::UPDATE_FAILURE_ACTION_CONTINUE);
  } else if (action == "rollback") {
    config.set_failure_action(proto::UPDATE_FAILURE_ACTION_ROLLBACK);
  } else {
    return error(fields.path_of("failure_action"),
                 "must be pause, continue or rollback, not '" + action + "'");
  }
  if (fields.has("monitor")) {
    Duration monitor{0};
    HERD_RETURN_IF_ERROR(fields.duration("monitor", monitor));
    config.set_monitor_ns(monitor.count());
  } else {
    fields.get("monitor");
  }
  double ratio = 0.0;
  HERD_RETURN_IF_ERROR(fields.probability("max_failure_ratio", ratio));
  config.set_max_failure_ratio(ratio);
  std::string order;
  HERD_RETURN_IF_ERROR(fields.string("order", order));
  if (order == "stop-first" || order.empty()) {
    config.set_order(proto::UPDATE_ORDER_STOP_FIRST);
  } else if (order == "start-first") {
    config.set_order(proto::UPDATE_ORDER_START_FIRST);
  } else {
    return error(fields.path_of("order"), "must be stop-first or start-first, not '" + order + "'");
  }
  return fields.finish();
}

// A service spec; for updates (`partial`) name is optional and the given fields are recorded.
Status parse_service_spec(const json& value, const std::string& path, proto::ServiceSpec& spec,
                          bool partial, std::vector<std::string>* given) {
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(value, path));
  if (given != nullptr) {
    for (const auto& [key, unused] : value.items()) given->push_back(key);
  }
  std::string name;
  HERD_RETURN_IF_ERROR(fields.string("name", name, !partial));
  spec.set_name(name);
  proto::TaskSpec& task = *spec.mutable_task();
  proto::ContainerSpec& container = *task.mutable_container();
  std::string image;
  HERD_RETURN_IF_ERROR(fields.string("image", image));
  container.set_image(image);
  std::string mode = "replicated";
  HERD_RETURN_IF_ERROR(fields.string("mode", mode));
  if (mode == "replicated") {
    spec.set_mode(proto::SERVICE_MODE_REPLICATED);
  } else if (mode == "global") {
    spec.set_mode(proto::SERVICE_MODE_GLOBAL);
  } else {
    return error(fields.path_of("mode"), "must be replicated or global, not '" + mode + "'");
  }
  std::uint64_t replicas = spec.mode() == proto::SERVICE_MODE_GLOBAL ? 0 : 1;
  HERD_RETURN_IF_ERROR(fields.integer("replicas", replicas, 0, 10'000'000));
  if (spec.mode() == proto::SERVICE_MODE_GLOBAL && fields.has("replicas")) {
    return error(fields.path_of("replicas"), "a global service has no replica count");
  }
  spec.set_replicas(replicas);
  std::vector<std::string> list;
  HERD_RETURN_IF_ERROR(fields.string_list("command", list));
  for (std::string& item : list) container.add_command(std::move(item));
  list.clear();
  HERD_RETURN_IF_ERROR(fields.string_list("args", list));
  for (std::string& item : list) container.add_args(std::move(item));
  std::map<std::string, std::string> map;
  HERD_RETURN_IF_ERROR(fields.string_map("env", map));
  for (const auto& [k, v] : map) (*container.mutable_env())[k] = v;
  map.clear();
  HERD_RETURN_IF_ERROR(fields.string_map("labels", map));
  for (const auto& [k, v] : map) (*spec.mutable_labels())[k] = v;
  if (const json* resources = fields.get("resources")) {
    HERD_ASSIGN_OR_RETURN(Fields r, Fields::of(*resources, fields.path_of("resources")));
    double cpus = 0;
    HERD_RETURN_IF_ERROR(r.number("cpus", cpus, 0.0, 1024.0));
    std::uint64_t memory = 0;
    HERD_RETURN_IF_ERROR(r.size("memory", memory));
    task.mutable_resources()->mutable_reservations()->set_nano_cpus(std::llround(cpus * 1e9));
    task.mutable_resources()->mutable_reservations()->set_memory_bytes(
        static_cast<std::int64_t>(memory));
    HERD_RETURN_IF_ERROR(r.finish());
  }
  list.clear();
  HERD_RETURN_IF_ERROR(fields.string_list("constraints", list));
  for (std::string& item : list) task.mutable_placement()->add_constraints(std::move(item));
  list.clear();
  HERD_RETURN_IF_ERROR(fields.string_list("preferences", list));
  for (std::string& item : list) task.mutable_placement()->add_preferences(std::move(item));
  list.clear();
  HERD_RETURN_IF_ERROR(fields.string_list("networks", list));
  for (std::string& item : list) task.add_networks()->set_target(std::move(item));
  if (const json* publish = fields.get("publish")) {
    const std::string publish_path = fields.path_of("publish");
    if (!publish->is_array())
      return error(publish_path, "expected an array, got " + describe(*publish));
    for (std::size_t i = 0; i < publish->size(); ++i) {
      HERD_ASSIGN_OR_RETURN(Fields p, Fields::of((*publish)[i], at_index(publish_path, i)));
      proto::PortConfig& port = *spec.mutable_endpoint()->add_ports();
      std::uint32_t target = 0;
      std::uint32_t published = 0;
      HERD_RETURN_IF_ERROR(p.integer("target", target, 1, 65535, true));
      HERD_RETURN_IF_ERROR(p.integer("published", published, 0, 65535));
      port.set_target_port(target);
      port.set_published_port(published);
      std::string port_mode = "ingress";
      HERD_RETURN_IF_ERROR(p.string("mode", port_mode));
      if (port_mode == "ingress") {
        port.set_publish_mode(proto::PUBLISH_MODE_INGRESS);
      } else if (port_mode == "host") {
        port.set_publish_mode(proto::PUBLISH_MODE_HOST);
      } else {
        return error(p.path_of("mode"), "must be ingress or host, not '" + port_mode + "'");
      }
      std::string protocol = "tcp";
      HERD_RETURN_IF_ERROR(p.string("protocol", protocol));
      if (protocol == "tcp") {
        port.set_protocol(proto::PORT_PROTOCOL_TCP);
      } else if (protocol == "udp") {
        port.set_protocol(proto::PORT_PROTOCOL_UDP);
      } else {
        return error(p.path_of("protocol"), "must be tcp or udp, not '" + protocol + "'");
      }
      HERD_RETURN_IF_ERROR(p.finish());
    }
  }
  if (const json* restart = fields.get("restart")) {
    HERD_ASSIGN_OR_RETURN(Fields r, Fields::of(*restart, fields.path_of("restart")));
    proto::RestartPolicy& policy = *task.mutable_restart();
    std::string condition = "any";
    HERD_RETURN_IF_ERROR(r.string("condition", condition));
    if (condition == "any") {
      policy.set_condition(proto::RESTART_CONDITION_ANY);
    } else if (condition == "on-failure") {
      policy.set_condition(proto::RESTART_CONDITION_ON_FAILURE);
    } else if (condition == "none") {
      policy.set_condition(proto::RESTART_CONDITION_NONE);
    } else {
      return error(r.path_of("condition"),
                   "must be none, on-failure or any, not '" + condition + "'");
    }
    if (r.has("delay")) {
      Duration delay{0};
      HERD_RETURN_IF_ERROR(r.duration("delay", delay));
      policy.set_delay_ns(delay.count());
    } else {
      r.get("delay");
    }
    std::uint64_t attempts = 0;
    HERD_RETURN_IF_ERROR(r.integer("max_attempts", attempts, 0, 1'000'000));
    policy.set_max_attempts(attempts);
    Duration window{0};
    HERD_RETURN_IF_ERROR(r.duration("window", window));
    policy.set_window_ns(window.count());
    HERD_RETURN_IF_ERROR(r.finish());
  }
  if (const json* update = fields.get("update")) {
    HERD_RETURN_IF_ERROR(
        parse_update_config(*update, fields.path_of("update"), *spec.mutable_update()));
  }
  if (const json* rollback = fields.get("rollback")) {
    HERD_RETURN_IF_ERROR(
        parse_update_config(*rollback, fields.path_of("rollback"), *spec.mutable_rollback()));
  }
  if (const json* behaviour = fields.get("task")) {
    HERD_ASSIGN_OR_RETURN(Fields t, Fields::of(*behaviour, fields.path_of("task")));
    proto::SimulatedTaskBehaviour& simulated = *container.mutable_simulated();
    Duration latency{0};
    HERD_RETURN_IF_ERROR(t.duration("start_latency", latency));
    simulated.set_start_latency_ns(latency.count());
    double fail = 0;
    HERD_RETURN_IF_ERROR(t.probability("fail_probability", fail));
    simulated.set_fail_probability(fail);
    const json* run_for = t.get("run_for");
    if (run_for != nullptr && !run_for->is_null()) {
      Duration d{0};
      HERD_RETURN_IF_ERROR(t.duration("run_for", d));
      if (d <= Duration::zero())
        return error(t.path_of("run_for"), "must be positive, or null to run until stopped");
      simulated.set_run_for_ns(d.count());
    }
    std::int32_t exit_code = 0;
    HERD_RETURN_IF_ERROR(t.integer("exit_code", exit_code, 0, 255));
    simulated.set_exit_code(exit_code);
    HERD_RETURN_IF_ERROR(t.finish());
  }
  if (!partial && image.empty() && container.command().empty()) {
    return error(path, "needs an image or a command");
  }
  return fields.finish();
}

// Checks targets against the hosts the run can have.
class Hosts {
 public:
  Hosts(const Scenario& scenario, int extra_managers, int extra_workers) : scenario_(scenario) {
    managers_ = scenario.topology.manager_count() + extra_managers;
    workers_ = scenario.topology.worker_count() + extra_workers;
    for (int i = 0; i < scenario.topology.manager_count(); ++i)
      names_.insert(scenario.manager_name(i));
    for (int i = 0; i < scenario.topology.worker_count(); ++i)
      names_.insert(scenario.worker_name(i));
    for (const DatacenterSpec& dc : scenario.topology.datacenters) dcs_.insert(dc.name);
  }

  Result<Target> parse(const json& value, const std::string& path) const {
    if (!value.is_string()) return error(path, "expected a target string, got " + describe(value));
    Target target;
    target.text = value.get<std::string>();
    const std::string& text = target.text;
    const auto index_after = [&](std::string_view prefix, int limit,
                                 std::string_view what) -> Result<int> {
      const std::string number = text.substr(prefix.size());
      int index = -1;
      const auto [end, err] = std::from_chars(number.data(), number.data() + number.size(), index);
      if (err != std::errc() || end != number.data() + number.size() || index < 0) {
        return error(path, "'" + text + "': expected a number after '" + std::string(prefix) + "'");
      }
      if (index >= limit) {
        return error(path, "'" + text + "': there are only " + std::to_string(limit) + " " +
                               std::string(what));
      }
      return index;
    };
    if (text == "leader") {
      target.kind = Target::Kind::kLeader;
    } else if (text == "random:manager") {
      target.kind = Target::Kind::kRandomManager;
    } else if (text == "random:worker") {
      target.kind = Target::Kind::kRandomWorker;
    } else if (text == "crashed") {
      target.kind = Target::Kind::kCrashed;
    } else if (text.starts_with("manager:")) {
      target.kind = Target::Kind::kManager;
      HERD_ASSIGN_OR_RETURN(target.index, index_after("manager:", managers_, "managers"));
    } else if (text.starts_with("worker:")) {
      target.kind = Target::Kind::kWorker;
      HERD_ASSIGN_OR_RETURN(target.index, index_after("worker:", workers_, "workers"));
    } else if (text.starts_with("dc:")) {
      target.kind = Target::Kind::kDatacenter;
      target.name = text.substr(3);
      if (dcs_.count(target.name) == 0)
        return error(path, "unknown datacenter '" + target.name + "'");
    } else {
      target.kind = Target::Kind::kHost;
      target.name = text;
      if (!known_host(text)) return error(path, "unknown host '" + text + "'");
    }
    return target;
  }

 private:
  bool known_host(const std::string& name) const {
    if (names_.count(name) != 0) return true;
    // Hosts added by node.join continue the default numbering.
    const auto numbered = [&](std::string_view prefix, int limit) {
      if (!name.starts_with(prefix) || name.size() == prefix.size()) return false;
      int index = -1;
      const auto [end, err] =
          std::from_chars(name.data() + prefix.size(), name.data() + name.size(), index);
      return err == std::errc() && end == name.data() + name.size() && index >= 0 && index < limit;
    };
    return numbered("mg", managers_) || numbered("w", workers_);
  }

  const Scenario& scenario_;
  int managers_ = 0;
  int workers_ = 0;
  std::set<std::string> names_;
  std::set<std::string> dcs_;
};

const std::map<std::string, ActionKind, std::less<>>& action_kinds() {
  static const std::map<std::string, ActionKind, std::less<>> kKinds = [] {
    std::map<std::string, ActionKind, std::less<>> kinds;
    for (int i = 0; i <= static_cast<int>(ActionKind::kCpuSlow); ++i) {
      const auto kind = static_cast<ActionKind>(i);
      kinds.emplace(std::string(action_name(kind)), kind);
    }
    return kinds;
  }();
  return kKinds;
}

Result<proto::NodeRole> parse_role(Fields& fields, bool required) {
  std::string role;
  HERD_RETURN_IF_ERROR(fields.string("role", role, required));
  if (role.empty() || role == "worker") return proto::NODE_ROLE_WORKER;
  if (role == "manager") return proto::NODE_ROLE_MANAGER;
  return error(fields.path_of("role"), "must be worker or manager, not '" + role + "'");
}

Status parse_action(const json& value, const std::string& path, const Hosts& hosts,
                    const Scenario& scenario, const std::set<std::string>& services,
                    Action& action) {
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(value, path));
  action.path = path;
  HERD_RETURN_IF_ERROR(fields.duration("at", action.at, true));
  std::string op;
  HERD_RETURN_IF_ERROR(fields.string("do", op, true));
  const auto kind = action_kinds().find(op);
  if (kind == action_kinds().end())
    return error(fields.path_of("do"), "unknown action '" + op + "'");
  action.kind = kind->second;

  const auto target = [&](std::string_view key, Target& out) -> Status {
    const json* t = fields.get(key);
    if (t == nullptr) return error(fields.path_of(key), "is required");
    HERD_ASSIGN_OR_RETURN(out, hosts.parse(*t, fields.path_of(key)));
    return Status::ok();
  };
  const auto service_ref = [&]() -> Status {
    HERD_RETURN_IF_ERROR(fields.string("service", action.service, true));
    if (services.count(action.service) == 0) {
      return error(
          fields.path_of("service"),
          "no service '" + action.service + "' is created before " + format_duration(action.at));
    }
    return Status::ok();
  };
  const auto between = [&]() -> Status {
    const json* pair = fields.get("between");
    if (pair == nullptr) return error(fields.path_of("between"), "is required");
    if (!pair->is_array() || pair->size() != 2)
      return error(fields.path_of("between"), "needs exactly two targets");
    for (std::size_t i = 0; i < 2; ++i) {
      HERD_ASSIGN_OR_RETURN(Target t,
                            hosts.parse((*pair)[i], at_index(fields.path_of("between"), i)));
      action.between.push_back(std::move(t));
    }
    return Status::ok();
  };

  switch (action.kind) {
    case ActionKind::kServiceCreate: {
      const json* spec = fields.get("spec");
      if (spec == nullptr) return error(fields.path_of("spec"), "is required");
      HERD_RETURN_IF_ERROR(
          parse_service_spec(*spec, fields.path_of("spec"), action.spec, false, nullptr));
      action.service = action.spec.name();
      break;
    }
    case ActionKind::kServiceScale:
      HERD_RETURN_IF_ERROR(service_ref());
      if (!fields.has("replicas")) return error(fields.path_of("replicas"), "is required");
      HERD_RETURN_IF_ERROR(fields.integer("replicas", action.replicas, 0, 10'000'000));
      break;
    case ActionKind::kServiceUpdate: {
      HERD_RETURN_IF_ERROR(service_ref());
      const json* spec = fields.get("spec");
      if (spec == nullptr) return error(fields.path_of("spec"), "is required");
      HERD_RETURN_IF_ERROR(parse_service_spec(*spec, fields.path_of("spec"), action.spec, true,
                                              &action.spec_fields));
      break;
    }
    case ActionKind::kServiceRollback:
    case ActionKind::kServiceRm:
      HERD_RETURN_IF_ERROR(service_ref());
      break;
    case ActionKind::kNodeDrain:
    case ActionKind::kNodePause:
    case ActionKind::kNodeActivate:
    case ActionKind::kNodePromote:
    case ActionKind::kNodeDemote:
    case ActionKind::kNodeLeave:
    case ActionKind::kCrash:
    case ActionKind::kRestart:
    case ActionKind::kDiskFailSync:
    case ActionKind::kDiskCorrupt:
      HERD_RETURN_IF_ERROR(target("target", action.target));
      break;
    case ActionKind::kNodeLabel:
      HERD_RETURN_IF_ERROR(target("target", action.target));
      HERD_RETURN_IF_ERROR(fields.string_map("add", action.label_add));
      HERD_RETURN_IF_ERROR(fields.string_list("rm", action.label_rm));
      if (action.label_add.empty() && action.label_rm.empty()) {
        return error(path, "node.label needs labels to add or remove");
      }
      break;
    case ActionKind::kNodeRm:
      HERD_RETURN_IF_ERROR(target("target", action.target));
      HERD_RETURN_IF_ERROR(fields.boolean("force", action.force));
      break;
    case ActionKind::kNodeJoin: {
      HERD_RETURN_IF_ERROR(fields.integer("count", action.count, 1, 100'000, true));
      HERD_ASSIGN_OR_RETURN(action.role, parse_role(fields, false));
      action.dc = scenario.topology.datacenters.front().name;
      HERD_RETURN_IF_ERROR(fields.string("dc", action.dc));
      bool known = false;
      for (const DatacenterSpec& dc : scenario.topology.datacenters)
        known = known || dc.name == action.dc;
      if (!known) return error(fields.path_of("dc"), "unknown datacenter '" + action.dc + "'");
      break;
    }
    case ActionKind::kTokenRotate: {
      HERD_ASSIGN_OR_RETURN(action.role, parse_role(fields, true));
      break;
    }
    case ActionKind::kPowerCycle:
      HERD_RETURN_IF_ERROR(target("target", action.target));
      HERD_RETURN_IF_ERROR(fields.optional_duration("for", action.duration, true));
      break;
    case ActionKind::kPartition: {
      const json* groups = fields.get("groups");
      const json* isolate = fields.get("isolate");
      if ((groups == nullptr) == (isolate == nullptr)) {
        return error(path, "partition needs exactly one of groups or isolate");
      }
      if (groups != nullptr) {
        if (!groups->is_array() || groups->size() < 2) {
          return error(fields.path_of("groups"), "needs at least two groups of targets");
        }
        for (std::size_t g = 0; g < groups->size(); ++g) {
          const std::string group_path = at_index(fields.path_of("groups"), g);
          if (!(*groups)[g].is_array() || (*groups)[g].empty()) {
            return error(group_path, "expected a non-empty array of targets");
          }
          std::vector<Target> group;
          for (std::size_t i = 0; i < (*groups)[g].size(); ++i) {
            HERD_ASSIGN_OR_RETURN(Target t, hosts.parse((*groups)[g][i], at_index(group_path, i)));
            group.push_back(std::move(t));
          }
          action.groups.push_back(std::move(group));
        }
      } else {
        HERD_ASSIGN_OR_RETURN(Target t, hosts.parse(*isolate, fields.path_of("isolate")));
        action.isolate = std::move(t);
      }
      HERD_RETURN_IF_ERROR(fields.boolean("one_way", action.one_way));
      HERD_RETURN_IF_ERROR(fields.optional_duration("for", action.duration));
      break;
    }
    case ActionKind::kHeal:
      break;
    case ActionKind::kClog:
      HERD_RETURN_IF_ERROR(target("target", action.target));
      HERD_RETURN_IF_ERROR(fields.optional_duration("for", action.duration, true));
      break;
    case ActionKind::kLinkSlow:
      HERD_RETURN_IF_ERROR(between());
      HERD_RETURN_IF_ERROR(fields.duration("latency", action.latency, true));
      HERD_RETURN_IF_ERROR(fields.optional_duration("for", action.duration));
      break;
    case ActionKind::kLinkLoss:
      HERD_RETURN_IF_ERROR(between());
      HERD_RETURN_IF_ERROR(fields.probability("loss", action.loss));
      HERD_RETURN_IF_ERROR(fields.probability("duplicate", action.duplicate));
      HERD_RETURN_IF_ERROR(fields.probability("reorder", action.reorder));
      HERD_RETURN_IF_ERROR(fields.optional_duration("for", action.duration));
      break;
    case ActionKind::kDiskSlow:
      HERD_RETURN_IF_ERROR(target("target", action.target));
      HERD_RETURN_IF_ERROR(fields.duration("latency", action.latency, true));
      HERD_RETURN_IF_ERROR(fields.optional_duration("for", action.duration));
      break;
    case ActionKind::kClockSkew:
      HERD_RETURN_IF_ERROR(target("target", action.target));
      HERD_RETURN_IF_ERROR(fields.duration("offset", action.offset, false, true));
      HERD_RETURN_IF_ERROR(fields.integer("drift_ppm", action.drift_ppm, -1'000'000, 1'000'000));
      break;
    case ActionKind::kCpuSlow:
      HERD_RETURN_IF_ERROR(target("target", action.target));
      HERD_RETURN_IF_ERROR(fields.number("factor", action.factor, 1.0, 1000.0, true));
      HERD_RETURN_IF_ERROR(fields.optional_duration("for", action.duration));
      break;
  }
  return fields.finish();
}

Status parse_expectation(const json& value, const std::string& path, const Hosts& hosts,
                         const std::set<std::string>& services, Expectation& expectation) {
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(value, path));
  expectation.path = path;
  std::string that;
  HERD_RETURN_IF_ERROR(fields.string("that", that, true));
  const auto service_ref = [&]() -> Status {
    HERD_RETURN_IF_ERROR(fields.string("service", expectation.service, true));
    if (services.count(expectation.service) == 0) {
      return error(fields.path_of("service"),
                   "no service '" + expectation.service + "' is created in the timeline");
    }
    return Status::ok();
  };
  const auto target = [&]() -> Status {
    const json* t = fields.get("target");
    if (t == nullptr) return error(fields.path_of("target"), "is required");
    HERD_ASSIGN_OR_RETURN(expectation.target, hosts.parse(*t, fields.path_of("target")));
    return Status::ok();
  };
  if (that == "service.running") {
    expectation.kind = ExpectationKind::kServiceRunning;
    HERD_RETURN_IF_ERROR(service_ref());
    HERD_RETURN_IF_ERROR(fields.integer("replicas", expectation.replicas, 0, 10'000'000, true));
    HERD_RETURN_IF_ERROR(fields.duration("by", expectation.by, true));
  } else if (that == "leader.elected") {
    expectation.kind = ExpectationKind::kLeaderElected;
    HERD_RETURN_IF_ERROR(fields.duration("after", expectation.after, true));
    HERD_RETURN_IF_ERROR(fields.duration("within", expectation.within, true));
  } else if (that == "node.status") {
    expectation.kind = ExpectationKind::kNodeStatus;
    HERD_RETURN_IF_ERROR(target());
    std::string status;
    HERD_RETURN_IF_ERROR(fields.string("status", status, true));
    if (status == "ready") {
      expectation.status = proto::NODE_STATE_READY;
    } else if (status == "down") {
      expectation.status = proto::NODE_STATE_DOWN;
    } else {
      return error(fields.path_of("status"), "must be ready or down, not '" + status + "'");
    }
    HERD_RETURN_IF_ERROR(fields.duration("after", expectation.after, true));
    HERD_RETURN_IF_ERROR(fields.duration("within", expectation.within, true));
  } else if (that == "tasks.pending") {
    expectation.kind = ExpectationKind::kTasksPending;
    HERD_RETURN_IF_ERROR(service_ref());
    HERD_RETURN_IF_ERROR(fields.integer("count", expectation.count, 0, 10'000'000, true));
    HERD_RETURN_IF_ERROR(fields.duration("at", expectation.at, true));
  } else if (that == "no_task_on") {
    expectation.kind = ExpectationKind::kNoTaskOn;
    HERD_RETURN_IF_ERROR(target());
    HERD_RETURN_IF_ERROR(service_ref());
    HERD_RETURN_IF_ERROR(fields.duration("after", expectation.after, true));
  } else if (that == "converged") {
    expectation.kind = ExpectationKind::kConverged;
    HERD_RETURN_IF_ERROR(fields.duration("after", expectation.after, true));
    HERD_RETURN_IF_ERROR(fields.duration("within", expectation.within, true));
  } else {
    return error(fields.path_of("that"), "unknown expectation '" + that + "'");
  }
  return fields.finish();
}

Status parse_explore(const json& value, ExploreSpec& explore) {
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(value, "explore"));
  std::vector<std::string> faults;
  HERD_RETURN_IF_ERROR(fields.string_list("faults", faults));
  if (faults.empty()) return error("explore.faults", "needs at least one fault");
  static const std::set<ActionKind> kInjectable = {
      ActionKind::kCrash,        ActionKind::kPowerCycle,  ActionKind::kPartition,
      ActionKind::kClog,         ActionKind::kLinkSlow,    ActionKind::kLinkLoss,
      ActionKind::kDiskFailSync, ActionKind::kDiskCorrupt, ActionKind::kDiskSlow,
      ActionKind::kClockSkew,    ActionKind::kCpuSlow};
  for (std::size_t i = 0; i < faults.size(); ++i) {
    const auto kind = action_kinds().find(faults[i]);
    if (kind == action_kinds().end() || kInjectable.count(kind->second) == 0) {
      return error(at_index("explore.faults", i),
                   "'" + faults[i] + "' is not a fault explore can inject");
    }
    explore.faults.push_back(kind->second);
  }
  std::string rate = "2/min";
  HERD_RETURN_IF_ERROR(fields.string("rate", rate));
  Result<Duration> interval = parse_event_rate(rate);
  if (!interval.ok()) return error("explore.rate", interval.status().message());
  explore.mean_interval = *interval;
  HERD_RETURN_IF_ERROR(fields.integer("max_concurrent", explore.max_concurrent, 1, 100));
  HERD_RETURN_IF_ERROR(fields.boolean("protect_quorum", explore.protect_quorum));
  return fields.finish();
}

}  // namespace

Result<Scenario> parse_scenario(std::string_view json_text) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    return Status::invalid_argument(std::string("not valid JSON: ") + e.what());
  }
  HERD_ASSIGN_OR_RETURN(Fields fields, Fields::of(root, ""));
  Scenario scenario;
  HERD_RETURN_IF_ERROR(fields.string("name", scenario.name, true));
  if (scenario.name.empty()) return error("name", "must not be empty");
  for (char c : scenario.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return error("name",
                   "'" + scenario.name + "' may hold only letters, digits, '-', '_' and '.'");
    }
  }
  HERD_RETURN_IF_ERROR(fields.string("description", scenario.description));
  HERD_RETURN_IF_ERROR(
      fields.integer("seed", scenario.seed, 0, std::numeric_limits<std::int64_t>::max()));
  HERD_RETURN_IF_ERROR(fields.duration("duration", scenario.duration, true));
  if (scenario.duration <= Duration::zero()) return error("duration", "must be positive");
  const json* topology = fields.get("topology");
  if (topology == nullptr) return error("topology", "is required");
  HERD_RETURN_IF_ERROR(parse_topology(*topology, scenario.topology));
  if (const json* cluster = fields.get("cluster"))
    HERD_RETURN_IF_ERROR(parse_cluster(*cluster, scenario.cluster));

  const json* timeline = fields.get("timeline");
  const json* expect = fields.get("expect");
  if (timeline != nullptr && !timeline->is_array()) {
    return error("timeline", "expected an array, got " + describe(*timeline));
  }
  if (expect != nullptr && !expect->is_array()) {
    return error("expect", "expected an array, got " + describe(*expect));
  }
  // Hosts that node.join adds can be named by later entries; count them first.
  int joined_managers = 0;
  int joined_workers = 0;
  if (timeline != nullptr) {
    for (const json& entry : *timeline) {
      if (!entry.is_object() || entry.value("do", "") != "node.join") continue;
      const json count = entry.value("count", json(0));
      if (!count.is_number_integer()) continue;
      (entry.value("role", "worker") == "manager" ? joined_managers : joined_workers) +=
          static_cast<int>(std::clamp<std::int64_t>(count.get<std::int64_t>(), 0, 100'000));
    }
  }
  const Hosts hosts(scenario, joined_managers, joined_workers);
  std::set<std::string> services;
  if (timeline != nullptr) {
    for (std::size_t i = 0; i < timeline->size(); ++i) {
      Action action;
      HERD_RETURN_IF_ERROR(
          parse_action((*timeline)[i], at_index("timeline", i), hosts, scenario, services, action));
      if (!scenario.timeline.empty() && action.at < scenario.timeline.back().at) {
        return error(at_index("timeline", i) + ".at",
                     format_duration(action.at) + " is before the previous entry's " +
                         format_duration(scenario.timeline.back().at));
      }
      if (action.at > scenario.duration) {
        return error(at_index("timeline", i) + ".at", format_duration(action.at) +
                                                          " is after the end of the run (" +
                                                          format_duration(scenario.duration) + ")");
      }
      if (action.kind == ActionKind::kServiceCreate) {
        if (!services.insert(action.service).second) {
          return error(at_index("timeline", i) + ".spec.name",
                       "service '" + action.service + "' is created twice");
        }
      }
      scenario.timeline.push_back(std::move(action));
    }
  }
  if (expect != nullptr) {
    for (std::size_t i = 0; i < expect->size(); ++i) {
      Expectation expectation;
      HERD_RETURN_IF_ERROR(
          parse_expectation((*expect)[i], at_index("expect", i), hosts, services, expectation));
      scenario.expect.push_back(std::move(expectation));
    }
  }
  if (const json* explore = fields.get("explore")) {
    ExploreSpec spec;
    HERD_RETURN_IF_ERROR(parse_explore(*explore, spec));
    scenario.explore = std::move(spec);
  }
  HERD_RETURN_IF_ERROR(fields.finish());
  return scenario;
}

Result<Scenario> load_scenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::io_error("cannot read scenario file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  Result<Scenario> scenario = parse_scenario(text.str());
  if (!scenario.ok()) return scenario.status().with_context(path);
  return scenario;
}

}  // namespace herd::scenarios
