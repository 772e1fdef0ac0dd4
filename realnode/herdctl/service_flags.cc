#include "realnode/herdctl/service_flags.h"

#include <algorithm>
#include <tuple>

namespace herd::herdctl {
namespace {

const std::vector<Flag> kServiceSpecFlags = {
    {"replicas"},
    {"constraint", true, true},
    {"placement-pref", true, true},
    {"env", true, true, 'e'},
    {"label", true, true, 'l'},
    {"workdir", true, false, 'w'},
    {"network", true, true},
    {"secret", true, true},
    {"publish", true, true, 'p'},
    {"stop-grace-period"},
    {"limit-cpu"},
    {"limit-memory"},
    {"reserve-cpu"},
    {"reserve-memory"},
    {"restart-condition"},
    {"restart-delay"},
    {"restart-max-attempts"},
    {"restart-window"},
    {"update-parallelism"},
    {"update-delay"},
    {"update-failure-action"},
    {"update-monitor"},
    {"update-max-failure-ratio"},
    {"update-order"},
    {"rollback-parallelism"},
    {"rollback-delay"},
    {"rollback-failure-action"},
    {"rollback-monitor"},
    {"rollback-max-failure-ratio"},
    {"rollback-order"},
};

std::vector<Flag> with(std::vector<Flag> flags, const std::vector<Flag>& more) {
  flags.insert(flags.end(), more.begin(), more.end());
  return flags;
}

const std::vector<Flag> kServiceCreateFlags = with(kServiceSpecFlags, {{"name"}, {"mode"}});
const std::vector<Flag> kServiceUpdateFlags =
    with(kServiceSpecFlags, {{"image"},
                             {"env-add", true, true},
                             {"env-rm", true, true},
                             {"label-add", true, true},
                             {"label-rm", true, true},
                             {"constraint-add", true, true},
                             {"constraint-rm", true, true},
                             {"force", false}});

void remove_value(google::protobuf::RepeatedPtrField<std::string>& list, const std::string& value) {
  for (int i = list.size() - 1; i >= 0; --i) {
    if (list.Get(i) == value) list.DeleteSubrange(i, 1);
  }
}

Status add_update_config_edits(const Args& args, std::string_view prefix, bool rollback,
                               std::vector<ServiceEdit>& edits) {
  const auto config = [rollback](proto::ServiceSpec& spec) {
    return rollback ? spec.mutable_rollback() : spec.mutable_update();
  };
  const auto name = [prefix](std::string_view setting) {
    return std::string(prefix) + "-" + std::string(setting);
  };
  if (const std::string flag = name("parallelism"); args.has(flag)) {
    HERD_ASSIGN_OR_RETURN(const std::uint64_t value, parse_uint(flag, args.value(flag)));
    edits.push_back([=](proto::ServiceSpec& spec) { config(spec)->set_parallelism(value); });
  }
  if (const std::string flag = name("delay"); args.has(flag)) {
    HERD_ASSIGN_OR_RETURN(const std::int64_t value, parse_duration_ns(flag, args.value(flag)));
    edits.push_back([=](proto::ServiceSpec& spec) { config(spec)->set_delay_ns(value); });
  }
  if (const std::string flag = name("failure-action"); args.has(flag)) {
    HERD_ASSIGN_OR_RETURN(const proto::UpdateFailureAction value,
                          parse_choice<proto::UpdateFailureAction>(
                              flag, args.value(flag),
                              {{"pause", proto::UPDATE_FAILURE_ACTION_PAUSE},
                               {"continue", proto::UPDATE_FAILURE_ACTION_CONTINUE},
                               {"rollback", proto::UPDATE_FAILURE_ACTION_ROLLBACK}}));
    edits.push_back([=](proto::ServiceSpec& spec) { config(spec)->set_failure_action(value); });
  }
  if (const std::string flag = name("monitor"); args.has(flag)) {
    HERD_ASSIGN_OR_RETURN(const std::int64_t value, parse_duration_ns(flag, args.value(flag)));
    edits.push_back([=](proto::ServiceSpec& spec) { config(spec)->set_monitor_ns(value); });
  }
  if (const std::string flag = name("max-failure-ratio"); args.has(flag)) {
    HERD_ASSIGN_OR_RETURN(const double value, parse_ratio(flag, args.value(flag)));
    edits.push_back([=](proto::ServiceSpec& spec) { config(spec)->set_max_failure_ratio(value); });
  }
  if (const std::string flag = name("order"); args.has(flag)) {
    HERD_ASSIGN_OR_RETURN(
        const proto::UpdateOrder value,
        parse_choice<proto::UpdateOrder>(flag, args.value(flag),
                                         {{"stop-first", proto::UPDATE_ORDER_STOP_FIRST},
                                          {"start-first", proto::UPDATE_ORDER_START_FIRST}}));
    edits.push_back([=](proto::ServiceSpec& spec) { config(spec)->set_order(value); });
  }
  return Status::ok();
}

// Map flags (--env, --label) replace the whole map; their -add and -rm forms edit it.
Status add_map_edits(const Args& args, std::string_view flag,
                     google::protobuf::Map<std::string, std::string>* (*field)(proto::ServiceSpec&),
                     std::vector<ServiceEdit>& edits) {
  const std::string add = std::string(flag) + "-add";
  const std::string rm = std::string(flag) + "-rm";
  std::vector<std::pair<std::string, std::string>> set_pairs;
  std::vector<std::pair<std::string, std::string>> add_pairs;
  for (const std::string& text : args.values(flag)) {
    HERD_ASSIGN_OR_RETURN(auto pair, parse_key_value(flag, text));
    set_pairs.push_back(std::move(pair));
  }
  for (const std::string& text : args.values(add)) {
    HERD_ASSIGN_OR_RETURN(auto pair, parse_key_value(add, text));
    add_pairs.push_back(std::move(pair));
  }
  if (args.has(flag)) {
    edits.push_back([=](proto::ServiceSpec& spec) {
      field(spec)->clear();
      for (const auto& [key, value] : set_pairs) (*field(spec))[key] = value;
    });
  }
  if (args.has(add) || args.has(rm)) {
    edits.push_back([=, keys = args.values(rm)](proto::ServiceSpec& spec) {
      for (const auto& [key, value] : add_pairs) (*field(spec))[key] = value;
      for (const std::string& key : keys) field(spec)->erase(key);
    });
  }
  return Status::ok();
}

}  // namespace

const std::vector<Flag>& service_create_flags() { return kServiceCreateFlags; }
const std::vector<Flag>& service_update_flags() { return kServiceUpdateFlags; }

Result<std::vector<ServiceEdit>> parse_service_edits(const Args& args) {
  std::vector<ServiceEdit> edits;
  if (args.has("name")) {
    edits.push_back([name = args.value("name")](proto::ServiceSpec& spec) { spec.set_name(name); });
  }
  if (args.has("mode")) {
    HERD_ASSIGN_OR_RETURN(
        const proto::ServiceMode mode,
        parse_choice<proto::ServiceMode>("mode", args.value("mode"),
                                         {{"replicated", proto::SERVICE_MODE_REPLICATED},
                                          {"global", proto::SERVICE_MODE_GLOBAL}}));
    edits.push_back([mode](proto::ServiceSpec& spec) { spec.set_mode(mode); });
  }
  if (args.has("image")) {
    edits.push_back([image = args.value("image")](proto::ServiceSpec& spec) {
      spec.mutable_task()->mutable_container()->set_image(image);
    });
  }
  if (args.has("replicas")) {
    HERD_ASSIGN_OR_RETURN(const std::uint64_t replicas,
                          parse_uint("replicas", args.value("replicas")));
    edits.push_back([replicas](proto::ServiceSpec& spec) { spec.set_replicas(replicas); });
  }
  if (args.has("constraint") || args.has("constraint-add") || args.has("constraint-rm")) {
    edits.push_back([replace = args.has("constraint"), set = args.values("constraint"),
                     add = args.values("constraint-add"),
                     rm = args.values("constraint-rm")](proto::ServiceSpec& spec) {
      auto& constraints = *spec.mutable_task()->mutable_placement()->mutable_constraints();
      if (replace) constraints.Assign(set.begin(), set.end());
      for (const std::string& constraint : add) {
        if (std::find(constraints.begin(), constraints.end(), constraint) == constraints.end()) {
          *constraints.Add() = constraint;
        }
      }
      for (const std::string& constraint : rm) remove_value(constraints, constraint);
    });
  }
  if (args.has("placement-pref")) {
    edits.push_back([prefs = args.values("placement-pref")](proto::ServiceSpec& spec) {
      spec.mutable_task()->mutable_placement()->mutable_preferences()->Assign(prefs.begin(),
                                                                              prefs.end());
    });
  }
  HERD_RETURN_IF_ERROR(add_map_edits(
      args, "env",
      [](proto::ServiceSpec& spec) {
        return spec.mutable_task()->mutable_container()->mutable_env();
      },
      edits));
  HERD_RETURN_IF_ERROR(add_map_edits(
      args, "label", [](proto::ServiceSpec& spec) { return spec.mutable_labels(); }, edits));
  if (args.has("workdir")) {
    edits.push_back([dir = args.value("workdir")](proto::ServiceSpec& spec) {
      spec.mutable_task()->mutable_container()->set_dir(dir);
    });
  }
  if (args.has("network")) {
    edits.push_back([networks = args.values("network")](proto::ServiceSpec& spec) {
      spec.mutable_task()->clear_networks();
      for (const std::string& network : networks)
        spec.mutable_task()->add_networks()->set_target(network);
    });
  }
  if (args.has("secret")) {
    edits.push_back([secrets = args.values("secret")](proto::ServiceSpec& spec) {
      spec.mutable_task()->clear_secrets();
      for (const std::string& secret : secrets) {
        proto::SecretReference& reference = *spec.mutable_task()->add_secrets();
        reference.set_secret_name(secret);
        reference.set_target(secret);
      }
    });
  }
  if (args.has("publish")) {
    std::vector<proto::PortConfig> ports;
    for (const std::string& text : args.values("publish")) {
      HERD_ASSIGN_OR_RETURN(proto::PortConfig port, parse_publish("publish", text));
      ports.push_back(std::move(port));
    }
    edits.push_back([ports](proto::ServiceSpec& spec) {
      auto& field = *spec.mutable_endpoint()->mutable_ports();
      field.Clear();
      for (const proto::PortConfig& port : ports) *field.Add() = port;
    });
  }
  if (args.has("stop-grace-period")) {
    HERD_ASSIGN_OR_RETURN(const std::int64_t grace,
                          parse_duration_ns("stop-grace-period", args.value("stop-grace-period")));
    edits.push_back([grace](proto::ServiceSpec& spec) {
      spec.mutable_task()->mutable_container()->set_stop_grace_period_ns(grace);
    });
  }
  for (const auto& [flag, limits, cpu] :
       {std::tuple{"limit-cpu", true, true}, std::tuple{"limit-memory", true, false},
        std::tuple{"reserve-cpu", false, true}, std::tuple{"reserve-memory", false, false}}) {
    if (!args.has(flag)) continue;
    HERD_ASSIGN_OR_RETURN(const std::int64_t amount, cpu ? parse_cpus(flag, args.value(flag))
                                                         : parse_bytes(flag, args.value(flag)));
    edits.push_back([limits, cpu, amount](proto::ServiceSpec& spec) {
      proto::ResourceRequirements& resources = *spec.mutable_task()->mutable_resources();
      proto::Resources& target =
          limits ? *resources.mutable_limits() : *resources.mutable_reservations();
      cpu ? target.set_nano_cpus(amount) : target.set_memory_bytes(amount);
    });
  }
  if (args.has("restart-condition")) {
    HERD_ASSIGN_OR_RETURN(
        const proto::RestartCondition condition,
        parse_choice<proto::RestartCondition>("restart-condition", args.value("restart-condition"),
                                              {{"any", proto::RESTART_CONDITION_ANY},
                                               {"on-failure", proto::RESTART_CONDITION_ON_FAILURE},
                                               {"none", proto::RESTART_CONDITION_NONE}}));
    edits.push_back([condition](proto::ServiceSpec& spec) {
      spec.mutable_task()->mutable_restart()->set_condition(condition);
    });
  }
  if (args.has("restart-delay")) {
    HERD_ASSIGN_OR_RETURN(const std::int64_t delay,
                          parse_duration_ns("restart-delay", args.value("restart-delay")));
    edits.push_back([delay](proto::ServiceSpec& spec) {
      spec.mutable_task()->mutable_restart()->set_delay_ns(delay);
    });
  }
  if (args.has("restart-max-attempts")) {
    HERD_ASSIGN_OR_RETURN(const std::uint64_t attempts,
                          parse_uint("restart-max-attempts", args.value("restart-max-attempts")));
    edits.push_back([attempts](proto::ServiceSpec& spec) {
      spec.mutable_task()->mutable_restart()->set_max_attempts(attempts);
    });
  }
  if (args.has("restart-window")) {
    HERD_ASSIGN_OR_RETURN(const std::int64_t window,
                          parse_duration_ns("restart-window", args.value("restart-window")));
    edits.push_back([window](proto::ServiceSpec& spec) {
      spec.mutable_task()->mutable_restart()->set_window_ns(window);
    });
  }
  HERD_RETURN_IF_ERROR(add_update_config_edits(args, "update", false, edits));
  HERD_RETURN_IF_ERROR(add_update_config_edits(args, "rollback", true, edits));
  if (args.has("force")) {
    edits.push_back([](proto::ServiceSpec& spec) {
      spec.mutable_task()->set_force_update(spec.task().force_update() + 1);
    });
  }
  return edits;
}

}  // namespace herd::herdctl
