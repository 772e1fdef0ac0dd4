#include "core/manager/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "core/codec/proto_codec.h"
#include "core/store/write_tx.h"

namespace herd::manager {
namespace {

constexpr std::int64_t kCpu = 1'000'000'000;
constexpr std::int64_t kGiB = 1LL << 30;

struct NodeOptions {
  std::map<std::string, std::string> labels;
  std::int64_t cpus = 4 * kCpu;
  std::int64_t memory = 8 * kGiB;
  proto::NodeState state = proto::NODE_STATE_READY;
  proto::NodeAvailability availability = proto::NODE_AVAILABILITY_ACTIVE;
};

class SchedulerTest : public ::testing::Test {
 protected:
  void add_node(const std::string& id, NodeOptions options = {}) {
    proto::Node node;
    node.mutable_meta()->set_id(id);
    node.mutable_description()->set_hostname("host-" + id);
    node.mutable_description()->mutable_resources()->set_nano_cpus(options.cpus);
    node.mutable_description()->mutable_resources()->set_memory_bytes(options.memory);
    node.mutable_status()->set_state(options.state);
    node.mutable_spec()->set_availability(options.availability);
    for (const auto& [key, value] : options.labels)
      (*node.mutable_spec()->mutable_labels())[key] = value;
    store::WriteTx tx;
    tx.create(node);
    ASSERT_TRUE(store_.apply(tx.transaction()).is_ok());
  }

  void update_node(const std::string& id, const std::function<void(proto::Node&)>& change) {
    proto::Node node = *store_.get<proto::Node>(id);
    change(node);
    store::WriteTx tx;
    tx.update(node);
    ASSERT_TRUE(store_.apply(tx.transaction()).is_ok());
  }

  // Creates `count` pending tasks of `service`, slots first_slot.., from `spec`.
  void add_tasks(const std::string& service, int count, const proto::TaskSpec& spec = {},
                 int first_slot = 1, const std::string& node_id = "") {
    store::WriteTx tx;
    for (int i = 0; i < count; ++i) {
      proto::Task task;
      const int slot = first_slot + i;
      task.mutable_meta()->set_id(service + "-" +
                                  (slot < 10    ? "00"
                                   : slot < 100 ? "0"
                                                : "") +
                                  std::to_string(slot) + node_id);
      task.set_service_id(service);
      task.set_slot(node_id.empty() ? static_cast<std::uint64_t>(slot) : 0);
      task.set_node_id(node_id);
      *task.mutable_spec() = spec;
      task.mutable_status()->set_state(proto::TASK_STATE_PENDING);
      task.set_desired_state(proto::TASK_STATE_RUNNING);
      tx.create(task);
    }
    ASSERT_TRUE(store_.apply(tx.transaction()).is_ok());
  }

  Scheduler::Decisions run(Scheduler& scheduler) {
    Scheduler::Decisions decisions = scheduler.schedule(TimePoint(seconds(100)));
    for (const proto::StoreTransaction* tx : decisions.transactions) {
      EXPECT_TRUE(store_.apply(*tx).is_ok());
    }
    return decisions;
  }

  std::map<std::string, int> tasks_per_node(const std::string& service = "") const {
    std::map<std::string, int> counts;
    for (const auto& [id, task] : store_.table<proto::Task>().all()) {
      if (!service.empty() && task.service_id() != service) continue;
      if (task.status().state() == proto::TASK_STATE_ASSIGNED) ++counts[task.node_id()];
    }
    return counts;
  }

  const proto::Task& task(const std::string& id) const { return *store_.get<proto::Task>(id); }

  store::Store store_;
};

TEST_F(SchedulerTest, SpreadsEvenlyAndAssigns) {
  for (int i = 0; i < 10; ++i) add_node("n" + std::to_string(i));
  add_tasks("web", 100);
  Scheduler scheduler(store_);
  ASSERT_TRUE(scheduler.has_work());
  const Scheduler::Decisions decisions = run(scheduler);
  EXPECT_EQ(decisions.assigned, 100U);
  EXPECT_EQ(decisions.unplaceable, 0U);
  const auto counts = tasks_per_node();
  ASSERT_EQ(counts.size(), 10U);
  for (const auto& [node, count] : counts) EXPECT_EQ(count, 10) << node;
  EXPECT_EQ(task("web-001").status().message(), "scheduler assigned task to node");
  EXPECT_EQ(scheduler.pending_count(), 0U);
  EXPECT_FALSE(scheduler.has_work());
}

TEST_F(SchedulerTest, PrefersFewestTasksOfTheServiceThenFewestOverall) {
  add_node("n1");
  add_node("n2");
  add_node("n3");
  Scheduler scheduler(store_);
  // Load n1 with two tasks of another service, n2 with one.
  add_tasks("db", 1, {}, 1, "n1");
  add_tasks("db", 1, {}, 2, "n1");
  add_tasks("db", 1, {}, 3, "n2");
  run(scheduler);
  ASSERT_EQ(tasks_per_node("db"), (std::map<std::string, int>{{"n1", 2}, {"n2", 1}}));
  add_tasks("web", 1);
  run(scheduler);
  EXPECT_EQ(task("web-001").node_id(), "n3") << "fewest tasks overall";
  add_tasks("web", 2, {}, 2);
  run(scheduler);
  // n3 already has a web task: the next two go to n2 (1 task) then n1 (2 tasks).
  EXPECT_EQ(task("web-002").node_id(), "n2");
  EXPECT_EQ(task("web-003").node_id(), "n1");
}

TEST_F(SchedulerTest, ConstraintsFilterAndExplainUnplaceableTasks) {
  add_node("n1", {.labels = {{"zone", "a"}}});
  add_node("n2", {.labels = {{"zone", "b"}}});
  add_node("n3", {.labels = {{"zone", "b"}}});
  add_node("n4");
  proto::TaskSpec in_a;
  in_a.mutable_placement()->add_constraints("node.labels.zone == a");
  add_tasks("web", 3, in_a);
  proto::TaskSpec in_c;
  in_c.mutable_placement()->add_constraints("node.labels.zone == c");
  add_tasks("api", 2, in_c);
  Scheduler scheduler(store_);
  const Scheduler::Decisions decisions = run(scheduler);
  EXPECT_EQ(decisions.assigned, 3U);
  EXPECT_EQ(decisions.unplaceable, 2U);
  EXPECT_EQ(tasks_per_node("web"), (std::map<std::string, int>{{"n1", 3}}));
  EXPECT_EQ(task("api-001").status().state(), proto::TASK_STATE_PENDING);
  EXPECT_EQ(task("api-001").status().pending_reason(),
            "no suitable node (constraint node.labels.zone == c: 0/4)");
  // The same reason is not written again.
  add_tasks("other", 0);
  const Scheduler::Decisions again = scheduler.schedule(TimePoint(seconds(101)));
  EXPECT_EQ(again.unplaceable, 2U);
  EXPECT_TRUE(again.transactions.empty());
}

TEST_F(SchedulerTest, ReadinessAndAvailabilityFilter) {
  add_node("down", {.state = proto::NODE_STATE_DOWN});
  add_node("drained", {.availability = proto::NODE_AVAILABILITY_DRAIN});
  add_node("paused", {.availability = proto::NODE_AVAILABILITY_PAUSE});
  add_node("ok");
  add_tasks("web", 4);
  Scheduler scheduler(store_);
  run(scheduler);
  EXPECT_EQ(tasks_per_node(), (std::map<std::string, int>{{"ok", 4}}));
}

TEST_F(SchedulerTest, ReservationsLimitTasksPerNodeAndPendingTasksRetryWhenNodesJoin) {
  add_node("n1", {.cpus = 1 * kCpu});
  add_node("n2", {.cpus = 1 * kCpu});
  proto::TaskSpec spec;
  spec.mutable_resources()->mutable_reservations()->set_nano_cpus(kCpu * 3 / 10);
  add_tasks("web", 8, spec);
  Scheduler scheduler(store_);
  const Scheduler::Decisions decisions = run(scheduler);
  EXPECT_EQ(decisions.assigned, 6U);
  EXPECT_EQ(decisions.unplaceable, 2U);
  EXPECT_EQ(task("web-008").status().pending_reason(), "no suitable node (resources: 0/2)");
  EXPECT_FALSE(scheduler.has_work());

  add_node("n3", {.cpus = 1 * kCpu});
  EXPECT_TRUE(scheduler.has_work()) << "a new node is a reason to retry";
  const Scheduler::Decisions retry = run(scheduler);
  EXPECT_EQ(retry.assigned, 2U);
  EXPECT_EQ(scheduler.placed(), 8U) << "counted across rounds, unplaceable ones not";
  EXPECT_EQ(tasks_per_node()["n3"], 2);
  EXPECT_TRUE(task("web-008").status().pending_reason().empty());
}

TEST_F(SchedulerTest, FinishedTasksFreeTheirResources) {
  add_node("n1", {.cpus = 1 * kCpu});
  proto::TaskSpec spec;
  spec.mutable_resources()->mutable_reservations()->set_nano_cpus(kCpu);
  add_tasks("web", 2, spec);
  Scheduler scheduler(store_);
  EXPECT_EQ(run(scheduler).assigned, 1U);
  const std::string placed = task("web-001").node_id().empty() ? "web-002" : "web-001";
  proto::Task done = task(placed);
  done.mutable_status()->set_state(proto::TASK_STATE_COMPLETE);
  store::WriteTx tx;
  tx.update(done);
  ASSERT_TRUE(store_.apply(tx.transaction()).is_ok());
  EXPECT_TRUE(scheduler.has_work());
  EXPECT_EQ(run(scheduler).assigned, 1U);
}

TEST_F(SchedulerTest, HostPortsConflict) {
  add_node("n1");
  add_node("n2");
  proto::TaskSpec spec;
  add_tasks("web", 3, spec);
  // Give every task the same host-mode published port.
  for (const char* id : {"web-001", "web-002", "web-003"}) {
    proto::Task t = task(id);
    proto::PortConfig* port = t.mutable_endpoint()->add_ports();
    port->set_target_port(80);
    port->set_published_port(8080);
    port->set_publish_mode(proto::PUBLISH_MODE_HOST);
    store::WriteTx tx;
    tx.update(t);
    ASSERT_TRUE(store_.apply(tx.transaction()).is_ok());
  }
  Scheduler scheduler(store_);
  const Scheduler::Decisions decisions = run(scheduler);
  EXPECT_EQ(decisions.assigned, 2U);
  EXPECT_EQ(tasks_per_node(), (std::map<std::string, int>{{"n1", 1}, {"n2", 1}}));
  EXPECT_EQ(task("web-003").status().pending_reason(), "no suitable node (host ports: 0/2)");
}

TEST_F(SchedulerTest, SpreadPreferenceBalancesOverLabelValues) {
  add_node("a1", {.labels = {{"zone", "a"}}});
  add_node("b1", {.labels = {{"zone", "b"}}});
  add_node("b2", {.labels = {{"zone", "b"}}});
  add_node("b3", {.labels = {{"zone", "b"}}});
  proto::TaskSpec spec;
  spec.mutable_placement()->add_preferences("spread=node.labels.zone");
  add_tasks("web", 8, spec);
  Scheduler scheduler(store_);
  run(scheduler);
  const auto counts = tasks_per_node();
  EXPECT_EQ(counts.at("a1"), 4) << "half of the tasks go to zone a's only node";
  EXPECT_EQ(counts.at("b1") + counts.at("b2") + counts.at("b3"), 4);
  for (const char* node : {"b1", "b2", "b3"}) {
    EXPECT_GE(counts.at(node), 1);
    EXPECT_LE(counts.at(node), 2);
  }
}

TEST_F(SchedulerTest, NodesWithRecentFailuresRankLast) {
  add_node("n1");
  add_node("n2");
  Scheduler scheduler(store_);
  // Five tasks of "web" failed on n1 just now.
  add_tasks("web", 5, {}, 10, "");
  for (int slot = 10; slot < 15; ++slot) {
    proto::Task t = task("web-0" + std::to_string(slot));
    t.set_node_id("n1");
    t.mutable_status()->set_state(proto::TASK_STATE_RUNNING);
    store::WriteTx running;
    running.update(t);
    ASSERT_TRUE(store_.apply(running.transaction()).is_ok());
    t = task(t.meta().id());
    t.mutable_status()->set_state(proto::TASK_STATE_FAILED);
    t.mutable_status()->set_timestamp_ns(Duration(seconds(90)).count());
    store::WriteTx failed;
    failed.update(t);
    ASSERT_TRUE(store_.apply(failed.transaction()).is_ok());
  }
  // n2 is busier overall, yet n1 must rank last for "web".
  add_tasks("db", 3, {}, 1);
  proto::TaskSpec on_n2;
  on_n2.mutable_placement()->add_constraints("node.id == n2");
  store::WriteTx none;
  for (int i = 0; i < 3; ++i) {
    proto::Task t = task("db-00" + std::to_string(i + 1));
    *t.mutable_spec() = on_n2;
    none.update(t);
  }
  ASSERT_TRUE(store_.apply(none.transaction()).is_ok());
  run(scheduler);
  add_tasks("web", 1, {}, 1);
  run(scheduler);
  EXPECT_EQ(task("web-001").node_id(), "n2");
}

TEST_F(SchedulerTest, GlobalTasksBoundToANodeOnlyCheckThatNode) {
  add_node("n1", {.labels = {{"zone", "a"}}});
  add_node("n2", {.labels = {{"zone", "b"}}});
  proto::TaskSpec spec;
  spec.mutable_placement()->add_constraints("node.labels.zone == a");
  add_tasks("agent", 1, spec, 1, "n1");
  add_tasks("agent", 1, spec, 1, "n2");
  Scheduler scheduler(store_);
  const Scheduler::Decisions decisions = run(scheduler);
  EXPECT_EQ(decisions.assigned, 1U);
  EXPECT_EQ(task("agent-001n1").status().state(), proto::TASK_STATE_ASSIGNED);
  EXPECT_EQ(task("agent-001n2").status().state(), proto::TASK_STATE_PENDING);
  EXPECT_EQ(task("agent-001n2").status().pending_reason(),
            "no suitable node (constraint node.labels.zone == a: 0/1)");
}

TEST_F(SchedulerTest, DecisionsInFlightAreNotRepeatedAndCountOnce) {
  add_node("n1");
  add_node("n2");
  add_tasks("web", 2);
  Scheduler scheduler(store_);
  const Scheduler::Decisions first = scheduler.schedule(TimePoint(seconds(1)));
  EXPECT_EQ(first.assigned, 2U);
  // Not yet committed: a second pass must not place them again.
  EXPECT_EQ(scheduler.schedule(TimePoint(seconds(2))).transactions.size(), 0U);
  for (const auto* tx : first.transactions) ASSERT_TRUE(store_.apply(*tx).is_ok());
  // Committed decisions were counted once: two more tasks still spread one per node.
  add_tasks("web", 2, {}, 3);
  run(scheduler);
  EXPECT_EQ(tasks_per_node(), (std::map<std::string, int>{{"n1", 2}, {"n2", 2}}));
}

TEST_F(SchedulerTest, ResetRecoversFromAFailedProposal) {
  add_node("n1");
  add_tasks("web", 1);
  Scheduler scheduler(store_);
  const Scheduler::Decisions lost = scheduler.schedule(TimePoint(seconds(1)));
  ASSERT_EQ(lost.assigned, 1U);
  scheduler.reset();  // the proposal never committed
  EXPECT_TRUE(scheduler.has_work());
  EXPECT_EQ(run(scheduler).assigned, 1U);
  EXPECT_EQ(task("web-001").node_id(), "n1");
}

TEST_F(SchedulerTest, SameStateGivesTheSameDecisions) {
  const auto decide = [] {
    store::Store store;
    for (int i = 0; i < 50; ++i) {
      proto::Node node;
      node.mutable_meta()->set_id("n" + std::to_string(i * 7 % 50));
      node.mutable_status()->set_state(proto::NODE_STATE_READY);
      node.mutable_description()->mutable_resources()->set_nano_cpus(kCpu);
      (*node.mutable_spec()->mutable_labels())["zone"] =
          std::string(1, static_cast<char>('a' + i % 3));
      store::WriteTx tx;
      tx.create(node);
      EXPECT_TRUE(store.apply(tx.transaction()).is_ok());
    }
    store::WriteTx tasks;
    for (int i = 0; i < 500; ++i) {
      proto::Task task;
      task.mutable_meta()->set_id("t" + std::to_string(i));
      task.set_service_id(i % 2 == 0 ? "a" : "b");
      task.mutable_spec()->mutable_placement()->add_preferences("spread=node.labels.zone");
      task.mutable_status()->set_state(proto::TASK_STATE_PENDING);
      tasks.create(task);
    }
    EXPECT_TRUE(store.apply(tasks.transaction()).is_ok());
    Scheduler scheduler(store);
    std::string bytes;
    const Scheduler::Decisions decisions = scheduler.schedule(TimePoint(seconds(1)));
    for (const auto* tx : decisions.transactions) bytes += codec::encode_message(*tx);
    return bytes;
  };
  const std::string first = decide();
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(first, decide());
}

}  // namespace
}  // namespace herd::manager
