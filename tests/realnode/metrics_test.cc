#include "realnode/metrics.h"

#include <gtest/gtest.h>

#include "scenarios/sim_cluster.h"

namespace herd::realnode {
namespace {

TEST(MetricsTest, FamiliesGetOneHelpAndTypeLine) {
  MetricsText metrics;
  metrics.gauge("herd_store_objects", "Objects in the store, by table.", 3, "table=\"node\"");
  metrics.gauge("herd_store_objects", "Objects in the store, by table.", 12, "table=\"task\"");
  metrics.counter("herd_raft_proposals_total", "Proposals.", 1.5);
  EXPECT_EQ(metrics.text(),
            "# HELP herd_store_objects Objects in the store, by table.\n"
            "# TYPE herd_store_objects gauge\n"
            "herd_store_objects{table=\"node\"} 3\n"
            "herd_store_objects{table=\"task\"} 12\n"
            "# HELP herd_raft_proposals_total Proposals.\n"
            "# TYPE herd_raft_proposals_total counter\n"
            "herd_raft_proposals_total 1.5\n");
}

// The figures of a leader in a simulated cluster: the same node code realnode runs.
TEST(MetricsTest, ALeaderReportsRaftDispatcherSchedulerAndStore) {
  scenarios::Scenario scenario;
  scenario.name = "metrics";
  scenario.duration = minutes(5);
  scenarios::DatacenterSpec dc;
  dc.name = "dc1";
  dc.managers = 3;
  dc.workers = 4;
  scenario.topology.datacenters.push_back(dc);
  scenario.cluster.join_spread = seconds(2);
  scenarios::SimCluster cluster(scenario, 7);
  ASSERT_TRUE(cluster.form().is_ok());
  cluster.sim().loop().run_for(seconds(30));
  simnet::SimHost* leader = cluster.leader();
  ASSERT_NE(leader, nullptr);

  MetricsText metrics;
  append_node_metrics(*cluster.node_of(*leader), metrics);
  const std::string& text = metrics.text();
  const raft::RaftStatus raft = cluster.manager_of(*leader)->raft_status();
  EXPECT_NE(text.find("herd_raft_leader 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("herd_raft_voters 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("herd_raft_commit_index " + std::to_string(raft.commit.value()) + "\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("herd_dispatcher_sessions 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("herd_store_objects{table=\"node\"} 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("herd_scheduler_pending_tasks 0\n"), std::string::npos) << text;

  MetricsText follower;
  for (NodeId id : cluster.managers()) {
    if (id == leader->id()) continue;
    append_node_metrics(*cluster.node_of(*cluster.sim().host(id)), follower);
    break;
  }
  EXPECT_NE(follower.text().find("herd_raft_leader 0\n"), std::string::npos);
  EXPECT_EQ(follower.text().find("herd_dispatcher_sessions"), std::string::npos)
      << "only the leader runs a dispatcher";
}

}  // namespace
}  // namespace herd::realnode
