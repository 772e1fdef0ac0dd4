#include "realnode/herdctl/commands.h"

#include <charconv>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>

#include "proto/control.pb.h"
#include "realnode/herdctl/flags.h"
#include "realnode/herdctl/service_flags.h"
#include "realnode/herdctl/table.h"
#include "realnode/http/api_address.h"
#include "realnode/http/json_codec.h"

namespace herd::herdctl {
namespace {

using realnode::message_to_json;
using realnode::parse_json_as;

enum class Format { kTable, kJson };

using Action = std::function<Status(const ApiCaller&, std::ostream&)>;
using Builder = Result<Action> (*)(const Args&, Format);

struct Command {
  std::string_view group;     // "service"; the whole command for single words ("version")
  std::string_view verb;      // "create"; empty for single words
  std::string_view operands;  // for messages: "SERVICE", "NODE [NODE...]"
  std::size_t min_operands = 0;
  std::size_t max_operands = 0;
  std::vector<Flag> flags;
  Builder build;
  // After the first operand everything is an operand (service create IMAGE COMMAND --its-flag).
  bool flags_end_at_first_operand = false;
};

constexpr std::size_t kAny = std::numeric_limits<std::size_t>::max();

std::string url_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string escaped;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      escaped += c;
    } else {
      escaped += '%';
      escaped += kHex[byte >> 4];
      escaped += kHex[byte & 0xF];
    }
  }
  return escaped;
}

// ---------------------------------------------------------------- calls and output

Result<proto::ControlResponse> call_control(const ApiCaller& call, const ApiRequest& request) {
  HERD_ASSIGN_OR_RETURN(const std::string body, call(request));
  Result<proto::ControlResponse> response =
      parse_json_as<proto::ControlResponse>(body, realnode::UnknownFields::kIgnore);
  if (!response.ok()) {
    return response.status().with_context("the answer to " + request.method + " " + request.target);
  }
  return response;
}

ApiRequest get(std::string target) { return ApiRequest{"GET", std::move(target), ""}; }
ApiRequest post(std::string target, std::string body = "") {
  return ApiRequest{"POST", std::move(target), std::move(body)};
}

void print_json(std::ostream& out, const google::protobuf::Message& message) {
  out << message_to_json(message, /*pretty=*/true) << "\n";
}

// Like docker inspect: a JSON array of the objects, whatever --format says.
template <typename Objects>
void print_inspect(std::ostream& out, const Objects& objects) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& object : objects) {
    array.push_back(nlohmann::json::parse(message_to_json(object), nullptr, false));
  }
  out << array.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// Runs `one` for each operand, going on after a failure as docker does. The result has the first
// failure's code and every failure's message.
template <typename Item>
Status for_each_operand(const std::vector<Item>& operands,
                        const std::function<Status(const Item&)>& one) {
  Status failed = Status::ok();
  for (const Item& operand : operands) {
    const Status status = one(operand);
    if (status.is_ok()) continue;
    failed =
        failed.is_ok() ? status : Status(failed.code(), failed.message() + "; " + status.message());
  }
  return failed;
}

// A command that sends one request per operand and prints `done(operand)` for each success.
Action per_operand(const Args& args, Format format,
                   std::function<ApiRequest(const std::string&)> request,
                   std::function<std::string(const std::string&)> done) {
  return [operands = args.operands, format, request = std::move(request), done = std::move(done)](
             const ApiCaller& call, std::ostream& out) {
    return for_each_operand<std::string>(operands, [&](const std::string& operand) -> Status {
      HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                            call_control(call, request(operand)));
      if (format == Format::kJson) {
        print_json(out, response);
      } else {
        out << done(operand) << "\n";
      }
      return Status::ok();
    });
  };
}

// GET `target` and print the response with `table`, or as JSON.
Action listing(std::string target, Format format,
               std::string (*table)(const proto::ControlResponse&)) {
  return [target = std::move(target), format, table](const ApiCaller& call, std::ostream& out) {
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response, call_control(call, get(target)));
    if (format == Format::kJson) {
      print_json(out, response);
    } else {
      out << table(response);
    }
    return Status::ok();
  };
}

Action task_listing(std::string target, Format format) {
  return [target = std::move(target), format](const ApiCaller& call, std::ostream& out) {
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse tasks, call_control(call, get(target)));
    if (format == Format::kJson) {
      print_json(out, tasks);
      return Status::ok();
    }
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse nodes, call_control(call, get("/nodes")));
    out << task_table(tasks, nodes);
    return Status::ok();
  };
}

// ---------------------------------------------------------------- commands

Result<Action> service_create(const Args& args, Format format) {
  proto::ServiceSpec spec;
  spec.mutable_task()->mutable_container()->set_image(args.operands[0]);
  for (std::size_t i = 1; i < args.operands.size(); ++i) {
    spec.mutable_task()->mutable_container()->add_command(args.operands[i]);
  }
  // docker's default: one replica unless told otherwise.
  spec.set_replicas(1);
  HERD_ASSIGN_OR_RETURN(const std::vector<ServiceEdit> edits, parse_service_edits(args));
  for (const ServiceEdit& edit : edits) edit(spec);
  if (spec.mode() == proto::SERVICE_MODE_GLOBAL && !args.has("replicas")) spec.set_replicas(0);
  return Action([body = message_to_json(spec), format](const ApiCaller& call, std::ostream& out) {
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                          call_control(call, post("/services", body)));
    if (format == Format::kJson) {
      print_json(out, response);
    } else if (response.services_size() > 0) {
      out << response.services(0).meta().id() << "\n";
    }
    return Status::ok();
  });
}

Result<Action> service_update(const Args& args, Format format) {
  if (args.only_global_flags()) {
    return usage_error("service update: nothing to change; give a flag such as --image");
  }
  HERD_ASSIGN_OR_RETURN(std::vector<ServiceEdit> edits, parse_service_edits(args));
  return Action([ref = args.operands[0], edits = std::move(edits), format](const ApiCaller& call,
                                                                           std::ostream& out) {
    const std::string path = "/services/" + url_escape(ref);
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse current, call_control(call, get(path)));
    if (current.services_size() == 0) return Status::not_found("service '" + ref + "' not found");
    proto::UpdateServiceRequest update;
    update.set_version(current.services(0).meta().version());
    *update.mutable_spec() = current.services(0).spec();
    for (const ServiceEdit& edit : edits) edit(*update.mutable_spec());
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                          call_control(call, post(path + "/update", message_to_json(update))));
    if (format == Format::kJson) {
      print_json(out, response);
    } else {
      out << ref << "\n";
    }
    return Status::ok();
  });
}

Result<Action> service_scale(const Args& args, Format format) {
  std::vector<std::pair<std::string, std::uint64_t>> targets;
  for (const std::string& operand : args.operands) {
    const std::size_t equals = operand.find('=');
    if (equals == std::string::npos || equals == 0) {
      return usage_error("service scale: '" + operand + "' is not SERVICE=REPLICAS");
    }
    const std::string count = operand.substr(equals + 1);
    std::uint64_t replicas = 0;
    const auto [end, error] = std::from_chars(count.data(), count.data() + count.size(), replicas);
    if (count.empty() || error != std::errc() || end != count.data() + count.size()) {
      return usage_error("service scale: '" + count + "' in '" + operand +
                         "' is not a non-negative integer");
    }
    targets.emplace_back(operand.substr(0, equals), replicas);
  }
  return Action([targets, format](const ApiCaller& call, std::ostream& out) {
    using Target = std::pair<std::string, std::uint64_t>;
    return for_each_operand<Target>(targets, [&](const Target& target) -> Status {
      const auto& [service, replicas] = target;
      const nlohmann::json body = {{"replicas", replicas}};
      HERD_ASSIGN_OR_RETURN(
          const proto::ControlResponse response,
          call_control(call, post("/services/" + url_escape(service) + "/scale", body.dump())));
      if (format == Format::kJson) {
        print_json(out, response);
      } else {
        out << service << " scaled to " << replicas << "\n";
      }
      return Status::ok();
    });
  });
}

Result<Action> service_inspect(const Args& args, Format) {
  return Action([refs = args.operands](const ApiCaller& call, std::ostream& out) {
    std::vector<proto::Service> services;
    for (const std::string& ref : refs) {
      HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                            call_control(call, get("/services/" + url_escape(ref))));
      services.insert(services.end(), response.services().begin(), response.services().end());
    }
    print_inspect(out, services);
    return Status::ok();
  });
}

Result<Action> node_update(const Args& args, Format format) {
  if (args.only_global_flags()) {
    return usage_error(
        "node update: nothing to change; give --availability, --label-add or "
        "--label-rm");
  }
  proto::NodeUpdate update;
  if (args.has("availability")) {
    HERD_ASSIGN_OR_RETURN(
        const proto::NodeAvailability availability,
        parse_choice<proto::NodeAvailability>("availability", args.value("availability"),
                                              {{"active", proto::NODE_AVAILABILITY_ACTIVE},
                                               {"pause", proto::NODE_AVAILABILITY_PAUSE},
                                               {"drain", proto::NODE_AVAILABILITY_DRAIN}}));
    update.set_availability(availability);
  }
  for (const std::string& text : args.values("label-add")) {
    HERD_ASSIGN_OR_RETURN(const auto pair, parse_key_value("label-add", text));
    (*update.mutable_label_add())[pair.first] = pair.second;
  }
  for (const std::string& key : args.values("label-rm")) update.add_label_rm(key);
  const std::string body = message_to_json(update);
  return per_operand(
      args, format,
      [body](const std::string& node) {
        return post("/nodes/" + url_escape(node) + "/update", body);
      },
      [](const std::string& node) { return node; });
}

Result<Action> node_inspect(const Args& args, Format) {
  return Action([refs = args.operands](const ApiCaller& call, std::ostream& out) {
    std::vector<proto::Node> nodes;
    for (const std::string& ref : refs) {
      HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                            call_control(call, get("/nodes/" + url_escape(ref))));
      nodes.insert(nodes.end(), response.nodes().begin(), response.nodes().end());
    }
    print_inspect(out, nodes);
    return Status::ok();
  });
}

Result<Action> task_ls(const Args& args, Format format) {
  std::string query;
  const auto add = [&query](std::string_view name, const std::string& value) {
    query += (query.empty() ? "?" : "&") + std::string(name) + "=" + url_escape(value);
  };
  if (args.has("service")) add("service", args.value("service"));
  if (args.has("node")) add("node", args.value("node"));
  for (const auto& [flag, parameter] :
       {std::pair{"state", "state"}, std::pair{"desired-state", "desired-state"}}) {
    for (const std::string& value : args.values(flag)) {
      HERD_RETURN_IF_ERROR(parse_task_state(flag, value).status());
      add(parameter, value);
    }
  }
  return task_listing("/tasks" + query, format);
}

Result<Action> task_inspect(const Args& args, Format) {
  return Action([refs = args.operands](const ApiCaller& call, std::ostream& out) {
    std::vector<proto::Task> tasks;
    for (const std::string& ref : refs) {
      HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                            call_control(call, get("/tasks/" + url_escape(ref))));
      tasks.insert(tasks.end(), response.tasks().begin(), response.tasks().end());
    }
    print_inspect(out, tasks);
    return Status::ok();
  });
}

Result<Action> network_create(const Args& args, Format format) {
  proto::NetworkSpec spec;
  spec.set_name(args.operands[0]);
  if (args.has("driver")) spec.set_driver(args.value("driver"));
  if (args.has("subnet")) spec.mutable_ipam()->set_subnet(args.value("subnet"));
  if (args.has("gateway")) spec.mutable_ipam()->set_gateway(args.value("gateway"));
  spec.set_attachable(args.has("attachable"));
  spec.set_ingress(args.has("ingress"));
  for (const std::string& text : args.values("label")) {
    HERD_ASSIGN_OR_RETURN(const auto pair, parse_key_value("label", text));
    (*spec.mutable_labels())[pair.first] = pair.second;
  }
  return Action([body = message_to_json(spec), format](const ApiCaller& call, std::ostream& out) {
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                          call_control(call, post("/networks", body)));
    if (format == Format::kJson) {
      print_json(out, response);
    } else if (response.networks_size() > 0) {
      out << response.networks(0).meta().id() << "\n";
    }
    return Status::ok();
  });
}

Result<Action> secret_create(const Args& args, Format format) {
  proto::SecretSpec spec;
  spec.set_name(args.operands[0]);
  for (const std::string& text : args.values("label")) {
    HERD_ASSIGN_OR_RETURN(const auto pair, parse_key_value("label", text));
    (*spec.mutable_labels())[pair.first] = pair.second;
  }
  return Action([spec, file = args.operands[1], format](const ApiCaller& call, std::ostream& out) {
    std::ifstream opened;
    if (file != "-") opened.open(file, std::ios::binary);
    std::istream& in = file == "-" ? std::cin : opened;
    if (!in) return Status::io_error("secret create: cannot read " + file);
    proto::SecretSpec with_data = spec;
    with_data.set_data(std::string(std::istreambuf_iterator<char>(in), {}));
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                          call_control(call, post("/secrets", message_to_json(with_data))));
    if (format == Format::kJson) {
      print_json(out, response);
    } else if (response.secrets_size() > 0) {
      out << response.secrets(0).meta().id() << "\n";
    }
    return Status::ok();
  });
}

Result<Action> swarm_join_token(const Args& args, Format format) {
  const std::string& role = args.operands[0];
  if (role != "worker" && role != "manager") {
    return usage_error("swarm join-token: '" + role + "' is not worker or manager");
  }
  return Action([role, rotate = args.has("rotate"), quiet = args.has("quiet"), format](
                    const ApiCaller& call, std::ostream& out) {
    HERD_ASSIGN_OR_RETURN(
        const proto::ControlResponse response,
        call_control(call, rotate ? post("/swarm/join-token/" + role + "/rotate") : get("/swarm")));
    if (format == Format::kJson) {
      print_json(out, response);
      return Status::ok();
    }
    const proto::JoinTokens& tokens = response.cluster().root_ca().join_tokens();
    const std::string& token = role == "worker" ? tokens.worker() : tokens.manager();
    if (quiet) {
      out << token << "\n";
      return Status::ok();
    }
    // Where to join: the leader's address as the managers know it, when node ls can tell.
    std::string address = "MANAGER_ADDRESS";
    const Result<proto::ControlResponse> nodes = call_control(call, get("/nodes"));
    if (nodes.ok()) {
      for (const proto::Node& node : nodes->nodes()) {
        if (node.manager_status().leader() && !node.manager_status().addr().empty()) {
          address = node.manager_status().addr();
        }
      }
    }
    if (rotate) out << "Successfully rotated " << role << " join token.\n\n";
    out << "To add a " << role << " to this swarm, start realnode on the new node with:\n\n"
        << "    realnode " << (role == "manager" ? "--manager " : "") << "--join " << address
        << " --token " << token << " --state-dir DIR --listen HOST:PORT\n\n";
    return Status::ok();
  });
}

using ClusterEdit = std::function<void(proto::ClusterSpec&)>;

Result<Action> swarm_update(const Args& args, Format format) {
  if (args.only_global_flags()) {
    return usage_error("swarm update: nothing to change; give a flag such as --task-history-limit");
  }
  std::vector<ClusterEdit> edits;
  if (args.has("task-history-limit")) {
    HERD_ASSIGN_OR_RETURN(const std::int64_t limit,
                          parse_int("task-history-limit", args.value("task-history-limit")));
    edits.push_back([limit](proto::ClusterSpec& spec) {
      spec.mutable_orchestration()->set_task_history_retention_limit(limit);
    });
  }
  if (args.has("dispatcher-heartbeat")) {
    HERD_ASSIGN_OR_RETURN(
        const std::int64_t period,
        parse_duration_ns("dispatcher-heartbeat", args.value("dispatcher-heartbeat")));
    edits.push_back([period](proto::ClusterSpec& spec) {
      spec.mutable_dispatcher()->set_heartbeat_period_ns(period);
    });
  }
  if (args.has("cert-expiry")) {
    HERD_ASSIGN_OR_RETURN(const std::int64_t expiry,
                          parse_duration_ns("cert-expiry", args.value("cert-expiry")));
    edits.push_back(
        [expiry](proto::ClusterSpec& spec) { spec.mutable_ca()->set_node_cert_expiry_ns(expiry); });
  }
  if (args.has("snapshot-interval")) {
    HERD_ASSIGN_OR_RETURN(const std::uint64_t interval,
                          parse_uint("snapshot-interval", args.value("snapshot-interval")));
    edits.push_back([interval](proto::ClusterSpec& spec) {
      spec.mutable_raft()->set_snapshot_interval(interval);
    });
  }
  if (args.has("max-snapshots")) {
    HERD_ASSIGN_OR_RETURN(const std::uint64_t keep,
                          parse_uint("max-snapshots", args.value("max-snapshots")));
    edits.push_back(
        [keep](proto::ClusterSpec& spec) { spec.mutable_raft()->set_keep_old_snapshots(keep); });
  }
  if (args.has("log-entries-for-slow-followers")) {
    HERD_ASSIGN_OR_RETURN(
        const std::uint64_t entries,
        parse_uint("log-entries-for-slow-followers", args.value("log-entries-for-slow-followers")));
    edits.push_back([entries](proto::ClusterSpec& spec) {
      spec.mutable_raft()->set_log_entries_for_slow_followers(entries);
    });
  }
  if (args.has("heartbeat-tick")) {
    HERD_ASSIGN_OR_RETURN(const std::uint32_t ticks,
                          parse_uint32("heartbeat-tick", args.value("heartbeat-tick")));
    edits.push_back(
        [ticks](proto::ClusterSpec& spec) { spec.mutable_raft()->set_heartbeat_tick(ticks); });
  }
  if (args.has("election-tick")) {
    HERD_ASSIGN_OR_RETURN(const std::uint32_t ticks,
                          parse_uint32("election-tick", args.value("election-tick")));
    edits.push_back(
        [ticks](proto::ClusterSpec& spec) { spec.mutable_raft()->set_election_tick(ticks); });
  }
  if (args.has("raft-tick")) {
    HERD_ASSIGN_OR_RETURN(const std::int64_t tick,
                          parse_duration_ns("raft-tick", args.value("raft-tick")));
    edits.push_back([tick](proto::ClusterSpec& spec) { spec.mutable_raft()->set_tick_ns(tick); });
  }
  return Action([edits = std::move(edits), format](const ApiCaller& call, std::ostream& out) {
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse current, call_control(call, get("/swarm")));
    proto::UpdateClusterRequest update;
    update.set_version(current.cluster().meta().version());
    *update.mutable_spec() = current.cluster().spec();
    for (const ClusterEdit& edit : edits) edit(*update.mutable_spec());
    HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                          call_control(call, post("/swarm/update", message_to_json(update))));
    if (format == Format::kJson) {
      print_json(out, response);
    } else {
      out << "Swarm updated.\n";
    }
    return Status::ok();
  });
}

Result<Action> version(const Args&, Format format) {
  return Action([format](const ApiCaller& call, std::ostream& out) {
    if (format == Format::kTable) out << version_line() << "\n";
    HERD_ASSIGN_OR_RETURN(const std::string info, call(get("/info")));
    nlohmann::json server = nlohmann::json::parse(info, nullptr, false);
    if (server.is_discarded()) server = info;
    if (format == Format::kJson) {
      const nlohmann::json both = {{"client", {{"version", HERD_VERSION}}}, {"server", server}};
      out << both.dump(4, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    } else {
      out << "Server: " << server.dump(4, ' ', false, nlohmann::json::error_handler_t::replace)
          << "\n";
    }
    return Status::ok();
  });
}

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"swarm",
       "inspect",
       "",
       0,
       0,
       {},
       [](const Args&, Format) -> Result<Action> {
         return Action([](const ApiCaller& call, std::ostream& out) {
           HERD_ASSIGN_OR_RETURN(const proto::ControlResponse response,
                                 call_control(call, get("/swarm")));
           print_json(out, response.cluster());
           return Status::ok();
         });
       }},
      {"swarm",
       "join-token",
       "worker|manager",
       1,
       1,
       {{"rotate", false}, {"quiet", false, false, 'q'}},
       swarm_join_token},
      {"swarm",
       "update",
       "",
       0,
       0,
       {{"task-history-limit"},
        {"dispatcher-heartbeat"},
        {"cert-expiry"},
        {"snapshot-interval"},
        {"max-snapshots"},
        {"log-entries-for-slow-followers"},
        {"heartbeat-tick"},
        {"election-tick"},
        {"raft-tick"}},
       swarm_update},
      {"node",
       "ls",
       "",
       0,
       0,
       {},
       [](const Args&, Format format) -> Result<Action> {
         return listing("/nodes", format, node_table);
       }},
      {"node", "inspect", "NODE [NODE...]", 1, kAny, {}, node_inspect},
      {"node",
       "update",
       "NODE",
       1,
       1,
       {{"availability"}, {"label-add", true, true}, {"label-rm", true, true}},
       node_update},
      {"node",
       "promote",
       "NODE [NODE...]",
       1,
       kAny,
       {},
       [](const Args& args, Format format) -> Result<Action> {
         return per_operand(
             args, format,
             [](const std::string& node) {
               return post("/nodes/" + url_escape(node) + "/promote");
             },
             [](const std::string& node) {
               return "Node " + node + " promoted to a manager in the swarm.";
             });
       }},
      {"node",
       "demote",
       "NODE [NODE...]",
       1,
       kAny,
       {},
       [](const Args& args, Format format) -> Result<Action> {
         return per_operand(
             args, format,
             [](const std::string& node) { return post("/nodes/" + url_escape(node) + "/demote"); },
             [](const std::string& node) { return "Manager " + node + " demoted in the swarm."; });
       }},
      {"node",
       "rm",
       "NODE [NODE...]",
       1,
       kAny,
       {{"force", false, false, 'f'}},
       [](const Args& args, Format format) -> Result<Action> {
         const std::string query = args.has("force") ? "?force=true" : "";
         return per_operand(
             args, format,
             [query](const std::string& node) {
               return ApiRequest{"DELETE", "/nodes/" + url_escape(node) + query, ""};
             },
             [](const std::string& node) { return node; });
       }},
      {"service", "create", "IMAGE [COMMAND [ARG...]]", 1, kAny, service_create_flags(),
       service_create, /*flags_end_at_first_operand=*/true},
      {"service",
       "ls",
       "",
       0,
       0,
       {},
       [](const Args&, Format format) -> Result<Action> {
         return listing("/services", format, service_table);
       }},
      {"service",
       "ps",
       "SERVICE",
       1,
       1,
       {},
       [](const Args& args, Format format) -> Result<Action> {
         return task_listing("/tasks?service=" + url_escape(args.operands[0]), format);
       }},
      {"service", "inspect", "SERVICE [SERVICE...]", 1, kAny, {}, service_inspect},
      {"service", "scale", "SERVICE=REPLICAS [SERVICE=REPLICAS...]", 1, kAny, {}, service_scale},
      {"service", "update", "SERVICE", 1, 1, service_update_flags(), service_update},
      {"service",
       "rollback",
       "SERVICE",
       1,
       1,
       {},
       [](const Args& args, Format format) -> Result<Action> {
         return per_operand(
             args, format,
             [](const std::string& service) {
               return post("/services/" + url_escape(service) + "/rollback");
             },
             [](const std::string& service) { return service; });
       }},
      {"service",
       "rm",
       "SERVICE [SERVICE...]",
       1,
       kAny,
       {},
       [](const Args& args, Format format) -> Result<Action> {
         return per_operand(
             args, format,
             [](const std::string& service) {
               return ApiRequest{"DELETE", "/services/" + url_escape(service), ""};
             },
             [](const std::string& service) { return service; });
       }},
      {"task",
       "ls",
       "",
       0,
       0,
       {{"service"}, {"node"}, {"state", true, true}, {"desired-state", true, true}},
       task_ls},
      {"task", "inspect", "TASK [TASK...]", 1, kAny, {}, task_inspect},
      {"network",
       "create",
       "NETWORK",
       1,
       1,
       {{"driver", true, false, 'd'},
        {"subnet"},
        {"gateway"},
        {"label", true, true},
        {"attachable", false},
        {"ingress", false}},
       network_create},
      {"network",
       "ls",
       "",
       0,
       0,
       {},
       [](const Args&, Format format) -> Result<Action> {
         return listing("/networks", format, network_table);
       }},
      {"network",
       "rm",
       "NETWORK [NETWORK...]",
       1,
       kAny,
       {},
       [](const Args& args, Format format) -> Result<Action> {
         return per_operand(
             args, format,
             [](const std::string& network) {
               return ApiRequest{"DELETE", "/networks/" + url_escape(network), ""};
             },
             [](const std::string& network) { return network; });
       }},
      {"secret", "create", "SECRET FILE|-", 2, 2, {{"label", true, true, 'l'}}, secret_create},
      {"secret",
       "ls",
       "",
       0,
       0,
       {},
       [](const Args&, Format format) -> Result<Action> {
         return listing("/secrets", format, secret_table);
       }},
      {"secret",
       "rm",
       "SECRET [SECRET...]",
       1,
       kAny,
       {},
       [](const Args& args, Format format) -> Result<Action> {
         return per_operand(
             args, format,
             [](const std::string& secret) {
               return ApiRequest{"DELETE", "/secrets/" + url_escape(secret), ""};
             },
             [](const std::string& secret) { return secret; });
       }},
      {"version", "", "", 0, 0, {}, version},
  };
  return kCommands;
}

std::string command_name(const Command& command) {
  return command.verb.empty() ? std::string(command.group)
                              : std::string(command.group) + " " + std::string(command.verb);
}

// Reads flags and operands from `args[next...]` into `parsed`.
Status parse_arguments(const std::vector<std::string>& args, std::size_t next,
                       const Command& command, Args& parsed) {
  bool only_operands = false;
  while (next < args.size()) {
    const std::string& token = args[next];
    if (only_operands || !is_flag(token)) {
      parsed.operands.push_back(token);
      only_operands = only_operands || command.flags_end_at_first_operand;
      ++next;
    } else if (token == "--") {
      only_operands = true;
      ++next;
    } else {
      HERD_ASSIGN_OR_RETURN(
          next, parse_flag_at(args, next, command.flags, command_name(command), parsed));
    }
  }
  return Status::ok();
}

}  // namespace

std::string version_line() { return std::string("herdctl version ") + HERD_VERSION; }

Result<Invocation> parse_command_line(const std::vector<std::string>& args,
                                      std::string_view env_host) {
  // Global flags may come before the command too: herdctl --host unix:/run/herd.sock node ls.
  Args leading;
  std::size_t next = 0;
  while (next < args.size() && is_flag(args[next])) {
    HERD_ASSIGN_OR_RETURN(next, parse_flag_at(args, next, {}, "herdctl", leading));
  }
  Invocation invocation;
  if (leading.has("help")) {
    invocation.help = true;
    return invocation;
  }
  if (next == args.size()) return usage_error("no command given");
  const std::string& group = args[next++];
  const Command* command = nullptr;
  bool group_known = false;
  for (const Command& candidate : commands()) {
    if (candidate.group != group) continue;
    group_known = true;
    if (candidate.verb.empty() || (next < args.size() && candidate.verb == args[next])) {
      command = &candidate;
      break;
    }
  }
  if (!group_known) return usage_error("unknown command '" + group + "'");
  if (command == nullptr) {
    if (next < args.size() && (args[next] == "--help" || args[next] == "-h")) {
      invocation.help = true;
      return invocation;
    }
    return next < args.size() ? usage_error("unknown command '" + group + " " + args[next] + "'")
                              : usage_error("'" + group + "' needs a subcommand");
  }
  if (!command->verb.empty()) ++next;
  const std::string name = command_name(*command);
  Args parsed = leading;
  HERD_RETURN_IF_ERROR(parse_arguments(args, next, *command, parsed));
  if (parsed.has("help")) {
    invocation.help = true;
    return invocation;
  }
  if (parsed.operands.size() < command->min_operands) {
    return usage_error("'" + name + "' needs " + std::string(command->operands));
  }
  if (parsed.operands.size() > command->max_operands) {
    return usage_error(command->max_operands == 0
                           ? "'" + name + "' takes no arguments, got '" + parsed.operands[0] + "'"
                           : "'" + name + "' takes " + std::string(command->operands) +
                                 ", got also '" + parsed.operands[command->max_operands] + "'");
  }
  Format format = Format::kTable;
  if (parsed.has("format")) {
    HERD_ASSIGN_OR_RETURN(
        format, parse_choice<Format>("format", parsed.value("format"),
                                     {{"table", Format::kTable}, {"json", Format::kJson}}));
  }
  invocation.host = parsed.has("host")  ? parsed.value("host")
                    : !env_host.empty() ? std::string(env_host)
                                        : std::string(realnode::kDefaultApiAddress);
  if (Result<realnode::ApiAddress> host = realnode::parse_api_address(invocation.host);
      !host.ok()) {
    return usage_error((parsed.has("host") ? "--host: " : "HERD_HOST: ") + host.status().message());
  }
  HERD_ASSIGN_OR_RETURN(invocation.run, command->build(parsed, format));
  return invocation;
}

std::string_view usage() {
  return R"(Usage: herdctl [--host ADDR] [--format table|json] COMMAND [FLAGS] [ARGS]

Talks to a realnode's HTTP control API.
  --host ADDR        HOST:PORT or unix:PATH (default: $HERD_HOST, else 127.0.0.1:2375)
  --format FORMAT    table (default) or json (the API's response, pretty-printed)
  -h, --help         this text

Swarm:
  swarm inspect
  swarm join-token [--rotate] [-q|--quiet] worker|manager
  swarm update [--task-history-limit N] [--dispatcher-heartbeat DURATION]
               [--cert-expiry DURATION] [--snapshot-interval N] [--max-snapshots N]
               [--log-entries-for-slow-followers N] [--heartbeat-tick N]
               [--election-tick N] [--raft-tick DURATION]
Nodes:
  node ls
  node inspect NODE [NODE...]
  node update [--availability active|pause|drain] [--label-add KEY=VALUE]...
              [--label-rm KEY]... NODE
  node promote NODE [NODE...]
  node demote NODE [NODE...]
  node rm [-f|--force] NODE [NODE...]
Services:
  service create [FLAGS] IMAGE [COMMAND [ARG...]]
      --name NAME  --mode replicated|global  --replicas N (default 1)
      --constraint EXPR...  --placement-pref spread=LABEL...  -e|--env KEY=VALUE...
      -l|--label KEY=VALUE...  -w|--workdir DIR  --network NAME...  --secret NAME...
      -p|--publish [PUBLISHED:]TARGET[/tcp|udp|sctp]...  --stop-grace-period DURATION
      --limit-cpu CPUS  --limit-memory BYTES  --reserve-cpu CPUS  --reserve-memory BYTES
      --restart-condition any|on-failure|none  --restart-delay DURATION
      --restart-max-attempts N  --restart-window DURATION
      --update-parallelism N  --update-delay DURATION  --update-monitor DURATION
      --update-failure-action pause|continue|rollback  --update-max-failure-ratio RATIO
      --update-order stop-first|start-first  (and the same six as --rollback-*)
  service ls
  service ps SERVICE
  service inspect SERVICE [SERVICE...]
  service scale SERVICE=REPLICAS [SERVICE=REPLICAS...]
  service update [FLAGS] SERVICE
      the create flags but --name and --mode (each replaces that setting; list flags
      replace the whole list), and --image IMAGE, --env-add/--env-rm, --label-add/--label-rm,
      --constraint-add/--constraint-rm, --force (restart every task)
  service rollback SERVICE
  service rm SERVICE [SERVICE...]
Tasks:
  task ls [--service SERVICE] [--node NODE] [--state STATE]... [--desired-state STATE]...
  task inspect TASK [TASK...]
Networks and secrets:
  network create [-d|--driver overlay] [--subnet CIDR] [--gateway IP] [--label KEY=VALUE]...
                 [--attachable] [--ingress] NETWORK
  network ls
  network rm NETWORK [NETWORK...]
  secret create [-l|--label KEY=VALUE]... SECRET FILE|-
  secret ls
  secret rm SECRET [SECRET...]
Other:
  version

Exit status: 0 on success, 1 when the API refuses or cannot be reached, 2 for a bad command line.
)";
}

}  // namespace herd::herdctl
