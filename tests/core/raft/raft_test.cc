#include <gtest/gtest.h>

#include "tests/core/raft/raft_cluster.h"

namespace herd::raft {
namespace {

using proto::raft::Message;

NodeId N(std::uint64_t id) { return NodeId(id); }

Status propose(RaftCluster& cluster, NodeId at, const std::string& data) {
  const Status status = cluster.node(at).node->propose(data);
  cluster.process(cluster.node(at));
  return status;
}

std::vector<std::string> applied_data(const TestNode& n) {
  std::vector<std::string> out;
  for (const auto& entry : n.applied) {
    if (entry.type() == proto::raft::ENTRY_TYPE_NORMAL && !entry.data().empty())
      out.push_back(entry.data());
  }
  return out;
}

TEST(RaftElectionTest, SingleNodeElectsItself) {
  RaftCluster cluster(1, 1);
  EXPECT_EQ(cluster.elect(), N(1));
  EXPECT_EQ(cluster.node(N(1)).node->term(), Term(2)) << "bootstrap term 1, elected in term 2";
}

TEST(RaftElectionTest, ThreeNodesElectExactlyOneLeader) {
  RaftCluster cluster(3, 7);
  const NodeId leader = cluster.elect();
  ASSERT_NE(leader, kNoNode);
  int leaders = 0;
  for (auto& [id, n] : cluster.nodes()) {
    leaders += n.node->is_leader();
    EXPECT_EQ(n.node->leader(), leader);
  }
  EXPECT_EQ(leaders, 1);
}

TEST(RaftElectionTest, ElectionTimeoutIsRandomizedWithinOneToTwoTimeouts) {
  // §5.2: a follower that hears nothing campaigns after [election, 2 x election) ticks.
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    RaftConfig config;
    config.pre_vote = false;
    RaftCluster cluster(1, seed, config);
    int ticks = 0;
    while (!cluster.node(N(1)).node->is_leader() && ticks < 100) {
      cluster.tick_all();
      ++ticks;
    }
    EXPECT_GE(ticks, 10);
    EXPECT_LT(ticks, 20);
  }
}

TEST(RaftVotingTest, OneVotePerTermAndOnlyForUpToDateLogs) {
  RaftCluster cluster(3, 3);
  ASSERT_NE(cluster.elect(), kNoNode);
  TestNode& voter = cluster.node(N(3));
  const Term term = voter.node->term();
  // A vote request for the next term from a node whose log is behind is refused (§5.4.1).
  Message request;
  request.set_type(proto::raft::MSG_VOTE);
  request.set_from(2);
  request.set_to(3);
  request.set_term(term.value() + 5);
  request.set_context("transfer");  // bypass the leader lease to reach the vote rule
  request.set_index(0);
  request.set_log_term(0);
  cluster.queue().clear();
  ASSERT_TRUE(voter.node->step(request).is_ok());
  cluster.process(voter);
  ASSERT_FALSE(cluster.queue().empty());
  EXPECT_EQ(cluster.queue().back().type(), proto::raft::MSG_VOTE_RESPONSE);
  EXPECT_TRUE(cluster.queue().back().reject());
  // An up-to-date candidate gets the vote; a second candidate in the same term does not.
  request.set_index(voter.node->status().last_index.value());
  request.set_log_term(term.value());
  request.set_term(term.value() + 6);
  ASSERT_TRUE(voter.node->step(request).is_ok());
  cluster.process(voter);
  EXPECT_FALSE(cluster.queue().back().reject());
  request.set_from(1);
  ASSERT_TRUE(voter.node->step(request).is_ok());
  cluster.process(voter);
  EXPECT_TRUE(cluster.queue().back().reject()) << "already voted for 2 in this term";
}

TEST(RaftReplicationTest, ProposalsCommitEverywhereInOrder) {
  RaftCluster cluster(3, 5);
  const NodeId leader = cluster.elect();
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(propose(cluster, leader, "cmd" + std::to_string(i)).is_ok());
  cluster.settle();
  cluster.tick_all();
  cluster.settle();
  for (auto& [id, n] : cluster.nodes()) {
    const auto data = applied_data(n);
    ASSERT_EQ(data.size(), 10U) << "node " << id;
    EXPECT_EQ(data.front(), "cmd0");
    EXPECT_EQ(data.back(), "cmd9");
  }
}

TEST(RaftReplicationTest, FollowerForwardsProposalsToTheLeader) {
  RaftCluster cluster(3, 9);
  const NodeId leader = cluster.elect();
  const NodeId follower = leader == N(1) ? N(2) : N(1);
  ASSERT_TRUE(propose(cluster, follower, "forwarded").is_ok());
  cluster.settle();
  cluster.tick_all();
  cluster.settle();
  EXPECT_EQ(applied_data(cluster.node(leader)), std::vector<std::string>{"forwarded"});
}

TEST(RaftReplicationTest, ProposalWithoutLeaderIsRefused) {
  RaftCluster cluster(3, 9);
  const Status status = cluster.node(N(1)).node->propose("x");
  EXPECT_EQ(status.code(), StatusCode::kNotLeader);
}

TEST(RaftReplicationTest, LaggingFollowerCatchesUpWithFastBacktracking) {
  RaftCluster cluster(3, 11);
  const NodeId leader = cluster.elect();
  const NodeId lagging = leader == N(3) ? N(2) : N(3);
  cluster.isolate(lagging);
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(propose(cluster, leader, "e" + std::to_string(i)).is_ok());
  cluster.settle();
  cluster.heal();
  for (int i = 0; i < 5; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_EQ(applied_data(cluster.node(lagging)).size(), 50U);
}

TEST(RaftCommitTest, OnlyCurrentTermEntriesCommitByCounting) {
  // Figure 8: a leader must not commit an entry from an earlier term by counting replicas.
  RaftCluster cluster(3, 13);
  NodeId leader = cluster.elect();
  cluster.isolate(leader);
  ASSERT_TRUE(propose(cluster, leader, "old-term").is_ok());
  cluster.settle();
  // The old entry exists only on the old leader; another node is elected.
  for (int i = 0; i < 60 && (cluster.leader_id() == leader || cluster.leader_id() == kNoNode);
       ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  const NodeId second = cluster.leader_id();
  ASSERT_NE(second, leader);
  cluster.heal();
  for (int i = 0; i < 30; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  // The uncommitted entry of the deposed leader was overwritten, never applied anywhere.
  for (auto& [id, n] : cluster.nodes()) {
    for (const std::string& data : applied_data(n)) EXPECT_NE(data, "old-term") << "node " << id;
  }
}

TEST(RaftPreVoteTest, RejoiningPartitionedNodeDoesNotDisruptTheLeader) {
  RaftCluster cluster(3, 17);
  const NodeId leader = cluster.elect();
  const Term term = cluster.node(leader).node->term();
  const NodeId loner = leader == N(3) ? N(2) : N(3);
  cluster.isolate(loner);
  for (int i = 0; i < 100; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_EQ(cluster.node(loner).node->term(), term) << "pre-vote keeps the loner's term";
  cluster.heal();
  for (int i = 0; i < 20; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_EQ(cluster.leader_id(), leader);
  EXPECT_EQ(cluster.node(leader).node->term(), term);
}

TEST(RaftCheckQuorumTest, IsolatedLeaderStepsDown) {
  RaftCluster cluster(3, 19);
  const NodeId leader = cluster.elect();
  cluster.isolate(leader);
  for (int i = 0; i < 25; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_FALSE(cluster.node(leader).node->is_leader());
}

TEST(RaftFlowControlTest, InflightWindowLimitsUnacknowledgedAppends) {
  RaftConfig config;
  config.max_inflight_msgs = 4;
  config.max_size_per_msg = 1;  // one entry per message
  RaftCluster cluster(2, 23, config);
  const NodeId leader = cluster.elect();
  const NodeId follower = leader == N(1) ? N(2) : N(1);
  cluster.queue().clear();
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(propose(cluster, leader, "x" + std::to_string(i)).is_ok());
  int appends = 0;
  for (const Message& m : cluster.queue()) {
    appends +=
        m.type() == proto::raft::MSG_APPEND && NodeId(m.to()) == follower && m.entries_size() > 0;
  }
  EXPECT_EQ(appends, 4) << "the window holds four messages";
  EXPECT_EQ(cluster.node(leader).node->status().progress.at(follower).inflight, 4U);
  cluster.settle();
  cluster.tick_all();
  cluster.settle();
  EXPECT_EQ(applied_data(cluster.node(follower)).size(), 10U);
}

TEST(RaftSnapshotTest, FarBehindFollowerReceivesASnapshot) {
  RaftCluster cluster(3, 29);
  const NodeId leader = cluster.elect();
  const NodeId lagging = leader == N(3) ? N(2) : N(3);
  cluster.isolate(lagging);
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(propose(cluster, leader, "s" + std::to_string(i)).is_ok());
  cluster.settle();
  // The leader snapshots and compacts everything it applied.
  TestNode& l = cluster.node(leader);
  const LogIndex applied = l.node->status().applied;
  ASSERT_TRUE(l.storage
                  ->create_snapshot(applied, l.node->conf_state(),
                                    "state@" + std::to_string(applied.value()), 0)
                  .is_ok());
  EXPECT_GT(l.storage->first_index(), LogIndex(2));
  cluster.heal();
  for (int i = 0; i < 10; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_EQ(cluster.snapshot_index(lagging), applied);
  EXPECT_EQ(cluster.node(lagging).storage->snapshot().data(),
            "state@" + std::to_string(applied.value()));
  EXPECT_EQ(cluster.node(lagging).node->status().commit,
            cluster.node(leader).node->status().commit);
  // And replication continues after it.
  ASSERT_TRUE(propose(cluster, leader, "after").is_ok());
  cluster.settle();
  cluster.tick_all();
  cluster.settle();
  EXPECT_EQ(applied_data(cluster.node(lagging)).back(), "after");
}

TEST(RaftMembershipTest, AddVoterThenRemoveOne) {
  RaftCluster cluster(3, 31);
  NodeId leader = cluster.elect();
  cluster.add_empty_node(N(4));
  proto::raft::ConfChange add;
  add.set_type(proto::raft::CONF_CHANGE_ADD_VOTER);
  add.set_node_id(4);
  ASSERT_TRUE(cluster.node(leader).node->propose_conf_change(add).is_ok());
  // A second change while the first is pending is refused.
  proto::raft::ConfChange remove;
  remove.set_type(proto::raft::CONF_CHANGE_REMOVE_NODE);
  remove.set_node_id(leader == N(3) ? 2 : 3);
  EXPECT_EQ(cluster.node(leader).node->propose_conf_change(remove).code(),
            StatusCode::kFailedPrecondition);
  cluster.process_all();
  for (int i = 0; i < 10; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_EQ(cluster.node(leader).node->status().voters.size(), 4U);
  EXPECT_EQ(cluster.node(N(4)).node->status().voters.size(), 4U) << "the new node replayed the log";
  ASSERT_TRUE(cluster.node(leader).node->propose_conf_change(remove).is_ok());
  cluster.process_all();
  for (int i = 0; i < 10; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_EQ(cluster.node(leader).node->status().voters.size(), 3U);
}

TEST(RaftMembershipTest, RemovedLeaderStepsDownAndOutsidersNeverCampaign) {
  RaftCluster cluster(3, 37);
  const NodeId leader = cluster.elect();
  proto::raft::ConfChange remove;
  remove.set_type(proto::raft::CONF_CHANGE_REMOVE_NODE);
  remove.set_node_id(leader.value());
  ASSERT_TRUE(cluster.node(leader).node->propose_conf_change(remove).is_ok());
  cluster.process_all();
  cluster.settle();
  cluster.tick_all();
  cluster.settle();
  EXPECT_FALSE(cluster.node(leader).node->is_leader());
  for (int i = 0; i < 100; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_NE(cluster.leader_id(), leader);
  EXPECT_NE(cluster.leader_id(), kNoNode) << "the two remaining voters elect a leader";
  EXPECT_FALSE(cluster.node(leader).node->is_leader()) << "a removed node never campaigns";
}

TEST(RaftTransferTest, LeadershipMovesToTheTarget) {
  RaftCluster cluster(3, 41);
  const NodeId leader = cluster.elect();
  const NodeId target = leader == N(3) ? N(2) : N(3);
  ASSERT_TRUE(propose(cluster, leader, "before").is_ok());
  cluster.settle();
  ASSERT_TRUE(cluster.node(leader).node->transfer_leadership(target).is_ok());
  cluster.process_all();
  cluster.settle();
  EXPECT_EQ(cluster.leader_id(), target);
  EXPECT_EQ(cluster.node(leader).node->transfer_leadership(target).code(), StatusCode::kNotLeader);
}

TEST(RaftTransferTest, TransferToAnUnreachableTargetTimesOut) {
  RaftCluster cluster(3, 43);
  const NodeId leader = cluster.elect();
  const NodeId target = leader == N(3) ? N(2) : N(3);
  cluster.isolate(target);
  ASSERT_TRUE(cluster.node(leader).node->transfer_leadership(target).is_ok());
  EXPECT_EQ(cluster.node(leader).node->propose("blocked").code(), StatusCode::kUnavailable);
  for (int i = 0; i < 12; ++i) {
    cluster.tick_all();
    cluster.settle();
  }
  EXPECT_TRUE(propose(cluster, leader, "after timeout").is_ok());
  EXPECT_EQ(cluster.node(leader).node->status().lead_transferee, kNoNode);
}

TEST(RaftReadIndexTest, LeaderAndFollowerReadsNeedAHeartbeatQuorum) {
  RaftCluster cluster(3, 47);
  const NodeId leader = cluster.elect();
  cluster.tick_all();
  cluster.settle();
  ASSERT_TRUE(cluster.node(leader).node->read_index("r1").is_ok());
  cluster.process_all();
  EXPECT_TRUE(cluster.node(leader).reads.empty()) << "not before the heartbeat round";
  cluster.settle();
  ASSERT_EQ(cluster.node(leader).reads.size(), 1U);
  EXPECT_EQ(cluster.node(leader).reads[0].context, "r1");
  EXPECT_EQ(cluster.node(leader).reads[0].index, cluster.node(leader).node->status().commit);

  const NodeId follower = leader == N(1) ? N(2) : N(1);
  ASSERT_TRUE(cluster.node(follower).node->read_index("r2").is_ok());
  cluster.process_all();
  cluster.settle();
  ASSERT_EQ(cluster.node(follower).reads.size(), 1U);
  EXPECT_EQ(cluster.node(follower).reads[0].context, "r2");

  // Without a quorum the read is never confirmed.
  cluster.isolate(leader);
  ASSERT_TRUE(cluster.node(leader).node->read_index("r3").is_ok());
  cluster.process_all();
  cluster.settle();
  EXPECT_EQ(cluster.node(leader).reads.size(), 1U);
}

TEST(RaftRobustnessTest, MalformedAndStaleMessagesAreHarmless) {
  RaftCluster cluster(3, 53);
  const NodeId leader = cluster.elect();
  RawNode& node = *cluster.node(leader).node;
  const RaftStatus before = node.status();
  Message m;
  EXPECT_EQ(node.step(m).code(), StatusCode::kInvalidArgument);  // no type
  m.set_type(proto::raft::MSG_APPEND_RESPONSE);
  m.set_from(99);  // unknown sender
  m.set_term(before.term.value());
  m.set_index(1'000'000);
  EXPECT_TRUE(node.step(m).is_ok());
  m.set_from(2);
  m.set_to(77);  // misdirected
  EXPECT_EQ(node.step(m).code(), StatusCode::kInvalidArgument);
  m.set_to(0);
  m.set_term(0);  // stale term
  m.set_type(proto::raft::MSG_APPEND);
  m.set_index(1'000'000);
  EXPECT_TRUE(node.step(m).is_ok());
  // An append far past the end from the current term on a follower is rejected, not applied.
  const NodeId follower = leader == N(1) ? N(2) : N(1);
  Message far;
  far.set_type(proto::raft::MSG_APPEND);
  far.set_from(leader.value());
  far.set_term(before.term.value());
  far.set_index(500);
  far.set_log_term(before.term.value());
  far.set_commit(600);
  proto::raft::Entry* entry = far.add_entries();
  entry->set_index(501);
  entry->set_term(before.term.value());
  ASSERT_TRUE(cluster.node(follower).node->step(far).is_ok());
  cluster.process(cluster.node(follower));
  EXPECT_LT(cluster.node(follower).node->status().last_index, LogIndex(500));
  cluster.process_all();
  cluster.settle();
  EXPECT_EQ(cluster.leader_id(), leader);
  EXPECT_EQ(node.status().term, before.term);
}

}  // namespace
}  // namespace herd::raft
