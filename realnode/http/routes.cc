#include "realnode/http/routes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <vector>

#include "realnode/http/json_codec.h"

namespace herd::realnode {
namespace {

using Params = std::vector<std::string>;
using Query = std::multimap<std::string, std::string, std::less<>>;
using Builder = Result<ApiCall> (*)(const Params&, const Query&, std::string_view body);

struct Route {
  std::string_view method;
  std::vector<std::string_view> segments;  // "{}" matches any one segment, passed on in Params
  std::vector<std::string_view> query;     // the query parameters the route takes
  Builder build;
};

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Query strings use '+' for a space (HTML forms); paths do not.
Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      const int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
      const int low = high >= 0 ? hex_value(text[i + 2]) : -1;
      if (low < 0) {
        return Status::invalid_argument("bad percent escape in '" + std::string(text) + "'");
      }
      decoded += static_cast<char>(high * 16 + low);
      i += 2;
    } else {
      decoded += plus_is_space && text[i] == '+' ? ' ' : text[i];
    }
  }
  return decoded;
}

struct Target {
  std::vector<std::string> segments;  // decoded
  Query query;
};

Result<Target> split_target(std::string_view target) {
  if (!target.starts_with('/')) {
    return Status::invalid_argument("request target '" + std::string(target) +
                                    "' is not an absolute path");
  }
  Target split;
  const std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  if (path.size() > 1 && path.ends_with('/')) path.remove_suffix(1);
  path.remove_prefix(1);
  // Split before decoding, so "%2F" stays inside its segment.
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    HERD_ASSIGN_OR_RETURN(std::string segment, percent_decode(path.substr(0, slash), false));
    split.segments.push_back(std::move(segment));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
    if (path.empty()) split.segments.emplace_back();
  }
  if (question == std::string_view::npos) return split;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const std::size_t equals = pair.find('=');
      HERD_ASSIGN_OR_RETURN(std::string name, percent_decode(pair.substr(0, equals), true));
      std::string value;
      if (equals != std::string_view::npos) {
        HERD_ASSIGN_OR_RETURN(value, percent_decode(pair.substr(equals + 1), true));
      }
      split.query.emplace(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return split;
}

ApiCall control(proto::ControlRequest request, unsigned ok_status = 200) {
  return ApiCall{Endpoint::kControl, std::move(request), ok_status};
}

// The one value of a single-valued query parameter, or "" when it is absent.
Result<std::string> single(const Query& query, std::string_view name) {
  const auto [begin, end] = query.equal_range(name);
  if (begin == end) return std::string();
  if (std::next(begin) != end) {
    return Status::invalid_argument("query parameter '" + std::string(name) + "' given twice");
  }
  return begin->second;
}

// Values of a list parameter, given repeated ("state=a&state=b") or comma-separated.
std::vector<std::string> list(const Query& query, std::string_view name) {
  std::vector<std::string> values;
  const auto [begin, end] = query.equal_range(name);
  for (auto it = begin; it != end; ++it) {
    std::string_view rest = it->second;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      if (comma != 0) values.emplace_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return values;
}

Result<proto::TaskState> parse_task_state(std::string_view parameter, const std::string& value) {
  std::string name = "TASK_STATE_";
  for (char c : value) {
    name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  proto::TaskState state;
  if (value.starts_with("TASK_STATE_") ? proto::TaskState_Parse(value, &state)
                                       : proto::TaskState_Parse(name, &state)) {
    return state;
  }
  return Status::invalid_argument("query parameter '" + std::string(parameter) + "': '" + value +
                                  "' is not a task state (new, pending, ..., running, shutdown, "
                                  "failed, ...)");
}

Result<bool> parse_flag(std::string_view parameter, const std::string& value) {
  if (value.empty() || value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return Status::invalid_argument("query parameter '" + std::string(parameter) + "': '" + value +
                                  "' is not true or false");
}

Result<std::uint64_t> parse_replicas(std::string_view body) {
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& error) {
    return Status::invalid_argument(std::string("request body: invalid JSON: ") + error.what());
  }
  if (!json.is_object() || !json.contains("replicas")) {
    return Status::invalid_argument("request body: expected {\"replicas\": N}");
  }
  for (const auto& [key, value] : json.items()) {
    if (key != "replicas") {
      return Status::invalid_argument("request body: unknown field '" + key + "'");
    }
  }
  const nlohmann::json& replicas = json["replicas"];
  if (replicas.is_number_unsigned()) return replicas.get<std::uint64_t>();
  // The proto3 JSON mapping writes 64-bit integers as strings; take that form too.
  if (replicas.is_string()) {
    const std::string& text = replicas.get_ref<const std::string&>();
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (!text.empty() && error == std::errc() && end == text.data() + text.size()) return value;
  }
  return Status::invalid_argument(
      "request body: replicas must be a non-negative integer, not " +
      replicas.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Status parse_body(std::string_view body, google::protobuf::Message& message) {
  return parse_json_message(body, message).with_context("request body");
}

// The object named by the path wins; a body naming another one is a mistake worth reporting.
Status check_same_ref(std::string_view field, const std::string& in_body,
                      const std::string& in_path) {
  if (in_body.empty() || in_body == in_path) return Status::ok();
  return Status::invalid_argument("request body: " + std::string(field) + " '" + in_body +
                                  "' differs from the path's '" + in_path + "'");
}

const std::vector<Route>& routes() {
  using R = proto::ControlRequest;
  static const std::vector<Route> kRoutes = {
      {"GET",
       {"services"},
       {},
       [](const Params&, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_list_services(true);
         return control(std::move(request));
       }},
      {"POST",
       {"services"},
       {},
       [](const Params&, const Query&, std::string_view body) -> Result<ApiCall> {
         R request;
         HERD_RETURN_IF_ERROR(parse_body(body, *request.mutable_create_service()));
         return control(std::move(request), 201);
       }},
      {"GET",
       {"services", "{}"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_inspect_service(params[0]);
         return control(std::move(request));
       }},
      {"DELETE",
       {"services", "{}"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_remove_service(params[0]);
         return control(std::move(request));
       }},
      {"POST",
       {"services", "{}", "update"},
       {},
       [](const Params& params, const Query&, std::string_view body) -> Result<ApiCall> {
         R request;
         proto::UpdateServiceRequest& update = *request.mutable_update_service();
         HERD_RETURN_IF_ERROR(parse_body(body, update));
         HERD_RETURN_IF_ERROR(check_same_ref("service", update.service(), params[0]));
         update.set_service(params[0]);
         return control(std::move(request));
       }},
      {"POST",
       {"services", "{}", "scale"},
       {},
       [](const Params& params, const Query&, std::string_view body) -> Result<ApiCall> {
         HERD_ASSIGN_OR_RETURN(const std::uint64_t replicas, parse_replicas(body));
         R request;
         request.mutable_scale_service()->set_service(params[0]);
         request.mutable_scale_service()->set_replicas(replicas);
         return control(std::move(request));
       }},
      {"POST",
       {"services", "{}", "rollback"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_rollback_service(params[0]);
         return control(std::move(request));
       }},
      {"GET",
       {"tasks"},
       {"service", "node", "state", "desired-state"},
       [](const Params&, const Query& query, std::string_view) -> Result<ApiCall> {
         R request;
         proto::TaskFilter& filter = *request.mutable_list_tasks();
         HERD_ASSIGN_OR_RETURN(*filter.mutable_service(), single(query, "service"));
         HERD_ASSIGN_OR_RETURN(*filter.mutable_node(), single(query, "node"));
         for (const std::string& value : list(query, "state")) {
           HERD_ASSIGN_OR_RETURN(const proto::TaskState state, parse_task_state("state", value));
           filter.add_states(state);
         }
         for (const std::string& value : list(query, "desired-state")) {
           HERD_ASSIGN_OR_RETURN(const proto::TaskState state,
                                 parse_task_state("desired-state", value));
           filter.add_desired_states(state);
         }
         return control(std::move(request));
       }},
      {"GET",
       {"tasks", "{}"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_inspect_task(params[0]);
         return control(std::move(request));
       }},
      {"GET",
       {"nodes"},
       {},
       [](const Params&, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_list_nodes(true);
         return control(std::move(request));
       }},
      {"GET",
       {"nodes", "{}"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_inspect_node(params[0]);
         return control(std::move(request));
       }},
      {"DELETE",
       {"nodes", "{}"},
       {"force"},
       [](const Params& params, const Query& query, std::string_view) -> Result<ApiCall> {
         R request;
         request.mutable_remove_node()->set_node(params[0]);
         HERD_ASSIGN_OR_RETURN(const std::string force, single(query, "force"));
         if (query.contains("force")) {
           HERD_ASSIGN_OR_RETURN(const bool forced, parse_flag("force", force));
           request.mutable_remove_node()->set_force(forced);
         }
         return control(std::move(request));
       }},
      {"POST",
       {"nodes", "{}", "update"},
       {},
       [](const Params& params, const Query&, std::string_view body) -> Result<ApiCall> {
         R request;
         proto::NodeUpdate& update = *request.mutable_update_node();
         HERD_RETURN_IF_ERROR(parse_body(body, update));
         HERD_RETURN_IF_ERROR(check_same_ref("node", update.node(), params[0]));
         update.set_node(params[0]);
         return control(std::move(request));
       }},
      {"POST",
       {"nodes", "{}", "promote"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_promote_node(params[0]);
         return control(std::move(request));
       }},
      {"POST",
       {"nodes", "{}", "demote"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_demote_node(params[0]);
         return control(std::move(request));
       }},
      {"GET",
       {"networks"},
       {},
       [](const Params&, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_list_networks(true);
         return control(std::move(request));
       }},
      {"POST",
       {"networks"},
       {},
       [](const Params&, const Query&, std::string_view body) -> Result<ApiCall> {
         R request;
         HERD_RETURN_IF_ERROR(parse_body(body, *request.mutable_create_network()));
         return control(std::move(request), 201);
       }},
      {"DELETE",
       {"networks", "{}"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_remove_network(params[0]);
         return control(std::move(request));
       }},
      {"GET",
       {"secrets"},
       {},
       [](const Params&, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_list_secrets(true);
         return control(std::move(request));
       }},
      {"POST",
       {"secrets"},
       {},
       [](const Params&, const Query&, std::string_view body) -> Result<ApiCall> {
         R request;
         HERD_RETURN_IF_ERROR(parse_body(body, *request.mutable_create_secret()));
         return control(std::move(request), 201);
       }},
      {"DELETE",
       {"secrets", "{}"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_remove_secret(params[0]);
         return control(std::move(request));
       }},
      {"GET",
       {"swarm"},
       {},
       [](const Params&, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         request.set_inspect_cluster(true);
         return control(std::move(request));
       }},
      {"POST",
       {"swarm", "update"},
       {},
       [](const Params&, const Query&, std::string_view body) -> Result<ApiCall> {
         R request;
         HERD_RETURN_IF_ERROR(parse_body(body, *request.mutable_update_cluster()));
         return control(std::move(request));
       }},
      {"POST",
       {"swarm", "join-token", "{}", "rotate"},
       {},
       [](const Params& params, const Query&, std::string_view) -> Result<ApiCall> {
         R request;
         if (params[0] == "worker") {
           request.set_rotate_join_token(proto::NODE_ROLE_WORKER);
         } else if (params[0] == "manager") {
           request.set_rotate_join_token(proto::NODE_ROLE_MANAGER);
         } else {
           return Status::invalid_argument("join token role '" + params[0] +
                                           "': expected worker or manager");
         }
         return control(std::move(request));
       }},
      {"GET",
       {"metrics"},
       {},
       [](const Params&, const Query&, std::string_view) -> Result<ApiCall> {
         return ApiCall{Endpoint::kMetrics, {}, 200};
       }},
      {"GET",
       {"info"},
       {},
       [](const Params&, const Query&, std::string_view) -> Result<ApiCall> {
         return ApiCall{Endpoint::kInfo, {}, 200};
       }},
  };
  return kRoutes;
}

bool matches(const Route& route, const std::vector<std::string>& segments, Params& params) {
  if (route.segments.size() != segments.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (route.segments[i] == "{}") {
      if (segments[i].empty()) return false;
      params.push_back(segments[i]);
    } else if (route.segments[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

std::string describe(std::string_view method, std::string_view target) {
  return std::string(method) + " " + std::string(target.substr(0, target.find('?')));
}

}  // namespace

std::variant<ApiCall, RouteError> route_request(std::string_view method, std::string_view target,
                                                std::string_view body) {
  Result<Target> split = split_target(target);
  if (!split.ok()) return RouteError{400, split.status(), ""};
  std::vector<std::string_view> allowed;
  Params params;
  for (const Route& route : routes()) {
    if (!matches(route, split->segments, params)) continue;
    if (route.method != method) {
      allowed.push_back(route.method);
      continue;
    }
    for (const auto& [name, value] : split->query) {
      if (std::find(route.query.begin(), route.query.end(), name) == route.query.end()) {
        return RouteError{400,
                          Status::invalid_argument(describe(method, target) +
                                                   ": unknown query parameter '" + name + "'"),
                          ""};
      }
    }
    Result<ApiCall> call = route.build(params, split->query, body);
    if (!call.ok()) {
      return RouteError{http_status_for(call.status().code()),
                        call.status().with_context(describe(method, target)), ""};
    }
    return std::move(call).value();
  }
  if (!allowed.empty()) {
    std::string allow;
    for (std::string_view name : allowed) allow += (allow.empty() ? "" : ", ") + std::string(name);
    return RouteError{
        405,
        Status::invalid_argument("method " + std::string(method) + " is not allowed on " +
                                 describe("", target).substr(1) + " (allowed: " + allow + ")"),
        allow};
  }
  return RouteError{404, Status::not_found("no route for " + describe(method, target)), ""};
}

}  // namespace herd::realnode
