#include "realnode/herdctl/table.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>
#include <tuple>

namespace herd::herdctl {
namespace {

constexpr std::size_t kColumnGap = 3;

// Row indexes of `items` sorted by `key`, so the parallel arrays of a response stay aligned.
template <typename Items, typename Key>
std::vector<int> sorted_indexes(const Items& items, Key key) {
  std::vector<int> order(static_cast<std::size_t>(items.size()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return key(items.Get(a)) < key(items.Get(b)); });
  return order;
}

std::string join(const google::protobuf::RepeatedPtrField<std::string>& words) {
  std::string text;
  for (const std::string& word : words) text += (text.empty() ? "" : " ") + word;
  return text;
}

std::string manager_status(const proto::Node& node) {
  if (node.role() != proto::NODE_ROLE_MANAGER) return "";
  if (node.manager_status().leader()) return "Leader";
  return enum_title(proto::Reachability_Name(node.manager_status().reachability()),
                    "REACHABILITY_");
}

}  // namespace

std::string enum_title(std::string_view enum_name, std::string_view prefix) {
  std::string_view rest = enum_name;
  if (rest.starts_with(prefix)) rest.remove_prefix(prefix.size());
  std::string title;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const char c = rest[i];
    if (c == '_') {
      title += '-';
    } else {
      title += i == 0 ? c : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return title;
}

std::string format_table(const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size());
  for (std::size_t column = 0; column < header.size(); ++column) {
    widths[column] = header[column].size();
    for (const auto& row : rows) widths[column] = std::max(widths[column], row[column].size());
  }
  std::string text;
  const auto add_line = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t column = 0; column < cells.size(); ++column) {
      line += cells[column];
      if (column + 1 < cells.size()) {
        line.append(widths[column] + kColumnGap - cells[column].size(), ' ');
      }
    }
    line.erase(line.find_last_not_of(' ') + 1);
    text += line + "\n";
  };
  add_line(header);
  for (const auto& row : rows) add_line(row);
  return text;
}

std::string service_table(const proto::ControlResponse& response) {
  std::vector<std::vector<std::string>> rows;
  const auto order = sorted_indexes(response.services(), [](const proto::Service& service) {
    return std::tie(service.spec().name(), service.meta().id());
  });
  for (const int i : order) {
    const proto::Service& service = response.services(i);
    const proto::ContainerSpec& container = service.spec().task().container();
    const auto count = [](const auto& values, int index) {
      return index < values.size() ? std::to_string(values.Get(index)) : std::string("?");
    };
    rows.push_back({service.meta().id(), service.spec().name(),
                    service.spec().mode() == proto::SERVICE_MODE_GLOBAL ? "global" : "replicated",
                    count(response.running(), i) + "/" + count(response.desired(), i),
                    container.image().empty() ? join(container.command()) : container.image()});
  }
  return format_table({"ID", "NAME", "MODE", "REPLICAS", "IMAGE"}, rows);
}

std::string node_table(const proto::ControlResponse& response) {
  std::vector<std::vector<std::string>> rows;
  const auto order = sorted_indexes(response.nodes(), [](const proto::Node& node) {
    return std::tie(node.description().hostname(), node.meta().id());
  });
  for (const int i : order) {
    const proto::Node& node = response.nodes(i);
    rows.push_back(
        {node.meta().id(), node.description().hostname(),
         enum_title(proto::NodeState_Name(node.status().state()), "NODE_STATE_"),
         enum_title(proto::NodeAvailability_Name(node.spec().availability()), "NODE_AVAILABILITY_"),
         manager_status(node)});
  }
  return format_table({"ID", "HOSTNAME", "STATUS", "AVAILABILITY", "MANAGER STATUS"}, rows);
}

std::string task_table(const proto::ControlResponse& response,
                       const proto::ControlResponse& nodes) {
  std::map<std::string, std::string> hostnames;
  for (const proto::Node& node : nodes.nodes()) {
    hostnames[node.meta().id()] = node.description().hostname();
  }
  // A replicated task's slot is its place in the service; a global task's is its node.
  const auto slot_name = [](const proto::Task& task) {
    return task.service_name() + "." +
           (task.slot() != 0 ? std::to_string(task.slot()) : task.node_id());
  };
  const auto order = sorted_indexes(response.tasks(), [](const proto::Task& task) {
    return std::make_tuple(task.service_name(), task.slot(), task.slot() == 0 ? task.node_id() : "",
                           -task.meta().created_at_ns(), task.meta().id());
  });
  std::vector<std::vector<std::string>> rows;
  std::string previous_slot;
  for (const int i : order) {
    const proto::Task& task = response.tasks(i);
    const std::string name = slot_name(task);
    const auto host = hostnames.find(task.node_id());
    rows.push_back({task.meta().id(), name == previous_slot ? " \\_ " + name : name,
                    host != hostnames.end() ? host->second : task.node_id(),
                    enum_title(proto::TaskState_Name(task.desired_state()), "TASK_STATE_"),
                    enum_title(proto::TaskState_Name(task.status().state()), "TASK_STATE_"),
                    task.status().err()});
    previous_slot = name;
  }
  return format_table({"ID", "NAME", "NODE", "DESIRED STATE", "CURRENT STATE", "ERROR"}, rows);
}

std::string network_table(const proto::ControlResponse& response) {
  std::vector<std::vector<std::string>> rows;
  const auto order = sorted_indexes(response.networks(), [](const proto::Network& network) {
    return std::tie(network.spec().name(), network.meta().id());
  });
  for (const int i : order) {
    const proto::Network& network = response.networks(i);
    rows.push_back({network.meta().id(), network.spec().name(), network.spec().driver(),
                    network.ipam().subnet().empty() ? network.spec().ipam().subnet()
                                                    : network.ipam().subnet()});
  }
  return format_table({"ID", "NAME", "DRIVER", "SUBNET"}, rows);
}

std::string secret_table(const proto::ControlResponse& response) {
  std::vector<std::vector<std::string>> rows;
  const auto order = sorted_indexes(response.secrets(), [](const proto::Secret& secret) {
    return std::tie(secret.spec().name(), secret.meta().id());
  });
  for (const int i : order) {
    const proto::Secret& secret = response.secrets(i);
    rows.push_back({secret.meta().id(), secret.spec().name()});
  }
  return format_table({"ID", "NAME"}, rows);
}

}  // namespace herd::herdctl
