// Metrics: the node's figures in the Prometheus text exposition format (version 0.0.4), for
// GET /metrics of the HTTP API.
//
// MetricsText collects samples (one HELP and TYPE line per family, then `name{labels} value`);
// append_node_metrics() adds what a node knows: Raft term, commit and applied index, leadership,
// proposals and leadership changes, snapshots, the dispatcher's sessions and heartbeats and the
// scheduler's pending and placed tasks while leading, store objects by table, and the agent's
// tasks. Reading a metric never changes the node.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/node/node.h"

namespace herd::realnode {

class MetricsText {
 public:
  void counter(std::string_view name, std::string_view help, double value,
               std::string_view labels = {});
  void gauge(std::string_view name, std::string_view help, double value,
             std::string_view labels = {});

  const std::string& text() const { return text_; }

 private:
  void sample(std::string_view type, std::string_view name, std::string_view help, double value,
              std::string_view labels);

  std::string text_;
  std::string last_family_;
};

void append_node_metrics(node::Node& node, MetricsText& metrics);

}  // namespace herd::realnode
