#include "realnode/metrics.h"

#include <cmath>
#include <cstdio>

#include "proto/objects.pb.h"

namespace herd::realnode {
namespace {

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  char buffer[32];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
  } else {
    std::snprintf(buffer, sizeof(buffer), "%.9g", value);
  }
  return buffer;
}

template <typename Object>
void table_size(MetricsText& metrics, const store::Store& store, std::string_view table) {
  metrics.gauge("herd_store_objects", "Objects in the store, by table.",
                static_cast<double>(store.table<Object>().size()),
                "table=\"" + std::string(table) + "\"");
}

}  // namespace

void MetricsText::counter(std::string_view name, std::string_view help, double value,
                          std::string_view labels) {
  sample("counter", name, help, value, labels);
}

void MetricsText::gauge(std::string_view name, std::string_view help, double value,
                        std::string_view labels) {
  sample("gauge", name, help, value, labels);
}

void MetricsText::sample(std::string_view type, std::string_view name, std::string_view help,
                         double value, std::string_view labels) {
  // Samples of one family are added together, so its HELP and TYPE lines are written once.
  if (name != last_family_) {
    text_.append("# HELP ").append(name).append(" ").append(help).append("\n");
    text_.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    last_family_ = std::string(name);
  }
  text_.append(name);
  if (!labels.empty()) text_.append("{").append(labels).append("}");
  text_.append(" ").append(format_value(value)).append("\n");
}

void append_node_metrics(node::Node& node, MetricsText& metrics) {
  manager::ManagerNode* manager = node.manager();
  if (manager != nullptr) {
    const raft::RaftStatus raft = manager->raft_status();
    metrics.gauge("herd_raft_term", "The current Raft term.", raft.term.value());
    metrics.gauge("herd_raft_commit_index", "The highest log index known committed.",
                  raft.commit.value());
    metrics.gauge("herd_raft_applied_index", "The highest log index applied to the store.",
                  raft.applied.value());
    metrics.gauge("herd_raft_last_index", "The last index of the local log.",
                  raft.last_index.value());
    metrics.gauge("herd_raft_voters", "Voting members of the Raft group.",
                  static_cast<double>(raft.voters.size()));
    metrics.gauge("herd_raft_leader", "1 when this manager leads.", manager->is_leader() ? 1 : 0);
    metrics.counter("herd_raft_proposals_total", "Store transactions proposed by this manager.",
                    static_cast<double>(manager->proposals()));
    metrics.counter("herd_raft_leader_changes_total",
                    "Times this manager gained or lost leadership.",
                    static_cast<double>(manager->leadership_changes()));
    metrics.counter("herd_raft_snapshots_total", "Snapshots of the store taken.",
                    static_cast<double>(manager->snapshots_taken()));
    if (manager::Leader* leader = manager->leader(); leader != nullptr) {
      if (const manager::Dispatcher* dispatcher = leader->dispatcher(); dispatcher != nullptr) {
        metrics.gauge("herd_dispatcher_sessions", "Agent sessions open on this leader.",
                      static_cast<double>(dispatcher->sessions()));
        metrics.counter("herd_dispatcher_heartbeats_total", "Heartbeats received as leader.",
                        static_cast<double>(dispatcher->heartbeats()));
      }
      metrics.gauge("herd_scheduler_pending_tasks", "Tasks waiting for a node.",
                    static_cast<double>(leader->scheduler().pending_count()));
      metrics.counter("herd_scheduler_placed_total", "Tasks assigned to nodes as leader.",
                      static_cast<double>(leader->scheduler().placed()));
    }
    const store::Store& store = manager->store();
    table_size<proto::Cluster>(metrics, store, "cluster");
    table_size<proto::Node>(metrics, store, "node");
    table_size<proto::Service>(metrics, store, "service");
    table_size<proto::Task>(metrics, store, "task");
    table_size<proto::Network>(metrics, store, "network");
    table_size<proto::Secret>(metrics, store, "secret");
  }
  if (const agent::Agent* agent = node.agent(); agent != nullptr) {
    metrics.gauge("herd_agent_tasks", "Tasks this node's agent knows.",
                  static_cast<double>(agent->tasks()));
  }
}

}  // namespace herd::realnode
