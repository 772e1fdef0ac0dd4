#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/manager/orchestrator/global_orchestrator.h"
#include "core/manager/orchestrator/replicated_orchestrator.h"
#include "core/manager/orchestrator/task_reaper.h"
#include "tests/core/manager/leader_harness.h"

namespace herd::manager {
namespace {

class OrchestratorTest : public ::testing::Test {
 protected:
  proto::Service make_service(const std::string& id, std::uint64_t replicas,
                              proto::RestartCondition condition = proto::RESTART_CONDITION_ANY,
                              Duration delay = seconds(5)) {
    proto::Service service;
    service.mutable_meta()->set_id(id);
    service.mutable_spec()->set_name(id);
    service.mutable_spec()->set_replicas(replicas);
    service.set_spec_version(1);
    service.mutable_spec()->mutable_task()->mutable_container()->set_image("nginx");
    service.mutable_spec()->mutable_task()->mutable_restart()->set_condition(condition);
    service.mutable_spec()->mutable_task()->mutable_restart()->set_delay_ns(delay.count());
    return service;
  }

  void create(const proto::Service& service) {
    store::WriteTx tx;
    tx.create(service);
    h_.write(tx);
  }

  void add_node(const std::string& id, std::map<std::string, std::string> labels = {}) {
    proto::Node node;
    node.mutable_meta()->set_id(id);
    node.mutable_status()->set_state(proto::NODE_STATE_READY);
    for (const auto& [k, v] : labels) (*node.mutable_spec()->mutable_labels())[k] = v;
    store::WriteTx tx;
    tx.create(node);
    h_.write(tx);
  }

  void change_node(const std::string& id, const std::function<void(proto::Node&)>& change) {
    proto::Node node = *h_.store.get<proto::Node>(id);
    change(node);
    store::WriteTx tx;
    tx.update(node);
    h_.write(tx);
  }

  void scale(const std::string& id, std::uint64_t replicas) {
    proto::Service service = *h_.store.get<proto::Service>(id);
    service.mutable_spec()->set_replicas(replicas);
    store::WriteTx tx;
    tx.update(service);
    h_.write(tx);
  }

  // Moves a task's observed state, as the dispatcher would, optionally onto a node.
  void observe(const std::string& task_id, proto::TaskState state, const std::string& node = "") {
    proto::TaskStatus status = h_.store.get<proto::Task>(task_id)->status();
    status.set_state(state);
    store::WriteTx tx;
    tx.task_status(task_id, 0, node, status);
    h_.write(tx);
  }

  std::vector<const proto::Task*> tasks_of(const std::string& service_id) const {
    std::vector<const proto::Task*> tasks;
    for (const std::string_view id :
         h_.store.table<proto::Task>().find(store::Index::kServiceId, service_id)) {
      tasks.push_back(h_.store.get<proto::Task>(id));
    }
    return tasks;
  }

  // Active (desired <= RUNNING) tasks by slot.
  std::map<std::uint64_t, std::vector<const proto::Task*>> active_slots(
      const std::string& id) const {
    std::map<std::uint64_t, std::vector<const proto::Task*>> slots;
    for (const proto::Task* task : tasks_of(id)) {
      if (task->desired_state() <= proto::TASK_STATE_RUNNING) slots[task->slot()].push_back(task);
    }
    return slots;
  }

  const proto::Task* active_in_slot(const std::string& service, std::uint64_t slot) const {
    const auto slots = active_slots(service);
    const auto it = slots.find(slot);
    if (it == slots.end() || it->second.size() != 1) return nullptr;
    return it->second.front();
  }

  LeaderHarness h_;
  RestartSupervisor restarts_{h_.context};
  ReplicatedOrchestrator replicated_{h_.context, restarts_};
  GlobalOrchestrator global_{h_.context, restarts_};
};

TEST_F(OrchestratorTest, CreatesOneTaskPerSlot) {
  create(make_service("web", 3));
  const auto slots = active_slots("web");
  ASSERT_EQ(slots.size(), 3U);
  std::uint64_t expected = 1;
  for (const auto& [slot, tasks] : slots) {
    EXPECT_EQ(slot, expected++);
    ASSERT_EQ(tasks.size(), 1U);
    EXPECT_EQ(tasks[0]->status().state(), proto::TASK_STATE_NEW);
    EXPECT_EQ(tasks[0]->desired_state(), proto::TASK_STATE_RUNNING);
    EXPECT_EQ(tasks[0]->spec().container().image(), "nginx");
    EXPECT_EQ(tasks[0]->service_name(), "web");
  }
  EXPECT_EQ(h_.proposer.failed(), 0);
}

TEST_F(OrchestratorTest, ScaleUpFillsLowestSlotsAndScaleDownRemovesHighest) {
  create(make_service("web", 3));
  scale("web", 5);
  EXPECT_EQ(active_slots("web").size(), 5U);
  scale("web", 2);
  const auto slots = active_slots("web");
  ASSERT_EQ(slots.size(), 2U);
  EXPECT_EQ(slots.begin()->first, 1U);
  EXPECT_EQ(slots.rbegin()->first, 2U);
  int removed = 0;
  for (const proto::Task* task : tasks_of("web")) {
    if (task->desired_state() == proto::TASK_STATE_REMOVE) {
      EXPECT_GE(task->slot(), 3U);
      ++removed;
    }
  }
  EXPECT_EQ(removed, 3);
}

TEST_F(OrchestratorTest, FailedTaskIsReplacedInItsSlotAfterTheRestartDelay) {
  add_node("n1");
  create(make_service("web", 1));
  const std::string first = active_in_slot("web", 1)->meta().id();
  observe(first, proto::TASK_STATE_RUNNING, "n1");
  observe(first, proto::TASK_STATE_FAILED);
  EXPECT_EQ(h_.store.get<proto::Task>(first)->desired_state(), proto::TASK_STATE_SHUTDOWN);
  const proto::Task* replacement = active_in_slot("web", 1);
  ASSERT_NE(replacement, nullptr);
  EXPECT_NE(replacement->meta().id(), first);
  EXPECT_EQ(replacement->desired_state(), proto::TASK_STATE_READY) << "waits for the delay";
  EXPECT_EQ(restarts_.armed(), 1U);
  const std::string id = replacement->meta().id();
  h_.clock.advance(milliseconds(4999));
  h_.proposer.settle();
  EXPECT_EQ(h_.store.get<proto::Task>(id)->desired_state(), proto::TASK_STATE_READY);
  h_.clock.advance(milliseconds(1));
  h_.proposer.settle();
  EXPECT_EQ(h_.store.get<proto::Task>(id)->desired_state(), proto::TASK_STATE_RUNNING);
}

TEST_F(OrchestratorTest, RestartConditionsDecideReplacement) {
  create(make_service("never", 1, proto::RESTART_CONDITION_NONE, Duration(0)));
  create(make_service("onfail", 2, proto::RESTART_CONDITION_ON_FAILURE, Duration(0)));
  const std::string never = active_in_slot("never", 1)->meta().id();
  observe(never, proto::TASK_STATE_FAILED);
  EXPECT_TRUE(active_slots("never").empty()) << "condition none: no replacement, no new slot";
  EXPECT_EQ(tasks_of("never").size(), 1U);

  const std::string completes = active_in_slot("onfail", 1)->meta().id();
  const std::string fails = active_in_slot("onfail", 2)->meta().id();
  observe(completes, proto::TASK_STATE_COMPLETE);
  observe(fails, proto::TASK_STATE_FAILED);
  const auto slots = active_slots("onfail");
  EXPECT_EQ(slots.count(1), 0U) << "a completed task is not restarted on-failure";
  ASSERT_EQ(slots.count(2), 1U);
  EXPECT_NE(slots.at(2).front()->meta().id(), fails);
  EXPECT_EQ(slots.at(2).front()->desired_state(), proto::TASK_STATE_RUNNING) << "zero delay";
  EXPECT_EQ(tasks_of("onfail").size(), 3U);
}

TEST_F(OrchestratorTest, MaxAttemptsStopsRestarts) {
  proto::Service service = make_service("flaky", 1, proto::RESTART_CONDITION_ANY, Duration(0));
  service.mutable_spec()->mutable_task()->mutable_restart()->set_max_attempts(2);
  create(service);
  for (int attempt = 0; attempt < 3; ++attempt) {
    const proto::Task* task = active_in_slot("flaky", 1);
    ASSERT_NE(task, nullptr) << "attempt " << attempt;
    observe(task->meta().id(), proto::TASK_STATE_FAILED);
  }
  EXPECT_EQ(active_in_slot("flaky", 1), nullptr);
  EXPECT_EQ(tasks_of("flaky").size(), 3U) << "the original and two restarts";
}

TEST_F(OrchestratorTest, TasksOnADownOrDrainedNodeAreReplaced) {
  add_node("n1");
  add_node("n2");
  create(make_service("web", 2));
  const std::string on_n1 = active_in_slot("web", 1)->meta().id();
  const std::string on_n2 = active_in_slot("web", 2)->meta().id();
  observe(on_n1, proto::TASK_STATE_RUNNING, "n1");
  observe(on_n2, proto::TASK_STATE_RUNNING, "n2");

  change_node("n1", [](proto::Node& n) { n.mutable_status()->set_state(proto::NODE_STATE_DOWN); });
  EXPECT_EQ(h_.store.get<proto::Task>(on_n1)->desired_state(), proto::TASK_STATE_SHUTDOWN);
  const proto::Task* replacement = active_in_slot("web", 1);
  ASSERT_NE(replacement, nullptr);
  EXPECT_EQ(replacement->desired_state(), proto::TASK_STATE_READY) << "restart delay applies";

  change_node("n2", [](proto::Node& n) {
    n.mutable_spec()->set_availability(proto::NODE_AVAILABILITY_DRAIN);
  });
  EXPECT_EQ(h_.store.get<proto::Task>(on_n2)->desired_state(), proto::TASK_STATE_SHUTDOWN);
  const proto::Task* moved = active_in_slot("web", 2);
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->desired_state(), proto::TASK_STATE_RUNNING) << "no delay when draining";
}

TEST_F(OrchestratorTest, RemovedServiceTasksGetDesiredRemove) {
  create(make_service("web", 2));
  store::WriteTx tx;
  tx.remove(*h_.store.get<proto::Service>("web"));
  h_.write(tx);
  for (const proto::Task* task : tasks_of("web")) {
    EXPECT_EQ(task->desired_state(), proto::TASK_STATE_REMOVE);
  }
}

TEST_F(OrchestratorTest, GlobalServiceFollowsEligibleNodes) {
  add_node("n1", {{"zone", "a"}});
  add_node("n2", {{"zone", "b"}});
  proto::Service service = make_service("agent", 0);
  service.mutable_spec()->set_mode(proto::SERVICE_MODE_GLOBAL);
  service.mutable_spec()->mutable_task()->mutable_placement()->add_constraints(
      "node.labels.zone == a");
  create(service);
  auto active_nodes = [&] {
    std::vector<std::string> nodes;
    for (const proto::Task* task : tasks_of("agent")) {
      if (task->desired_state() <= proto::TASK_STATE_RUNNING) nodes.push_back(task->node_id());
    }
    std::sort(nodes.begin(), nodes.end());
    return nodes;
  };
  EXPECT_EQ(active_nodes(), std::vector<std::string>{"n1"});
  add_node("n3", {{"zone", "a"}});
  EXPECT_EQ(active_nodes(), (std::vector<std::string>{"n1", "n3"}));
  change_node("n1", [](proto::Node& n) {
    n.mutable_spec()->set_availability(proto::NODE_AVAILABILITY_DRAIN);
  });
  EXPECT_EQ(active_nodes(), std::vector<std::string>{"n3"});
  change_node("n2", [](proto::Node& n) { (*n.mutable_spec()->mutable_labels())["zone"] = "a"; });
  EXPECT_EQ(active_nodes(), (std::vector<std::string>{"n2", "n3"}));
  for (const proto::Task* task : tasks_of("agent")) EXPECT_EQ(task->slot(), 0U);
}

TEST_F(OrchestratorTest, GlobalTaskThatFailsIsRestartedOnItsNode) {
  add_node("n1");
  proto::Service service = make_service("agent", 0, proto::RESTART_CONDITION_ANY, Duration(0));
  service.mutable_spec()->set_mode(proto::SERVICE_MODE_GLOBAL);
  create(service);
  ASSERT_EQ(tasks_of("agent").size(), 1U);
  const std::string first = tasks_of("agent").front()->meta().id();
  observe(first, proto::TASK_STATE_FAILED);
  ASSERT_EQ(tasks_of("agent").size(), 2U);
  for (const proto::Task* task : tasks_of("agent")) {
    EXPECT_EQ(task->node_id(), "n1");
    if (task->meta().id() != first) {
      EXPECT_EQ(task->desired_state(), proto::TASK_STATE_RUNNING);
    }
  }
}

class ReaperTest : public OrchestratorTest {
 protected:
  void set_history_limit(std::int64_t limit) {
    proto::Cluster cluster;
    cluster.mutable_meta()->set_id("cluster");
    cluster.mutable_spec()->set_name("default");
    cluster.mutable_spec()->mutable_orchestration()->set_task_history_retention_limit(limit);
    store::WriteTx tx;
    tx.create(cluster);
    h_.write(tx);
  }
  TaskReaper reaper_{h_.context};
};

TEST_F(ReaperTest, KeepsTheHistoryLimitPerSlot) {
  set_history_limit(3);
  create(make_service("web", 1, proto::RESTART_CONDITION_ANY, Duration(0)));
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    h_.clock.advance(seconds(1));  // distinct creation times order the history
    const proto::Task* task = active_in_slot("web", 1);
    ASSERT_NE(task, nullptr);
    ids.push_back(task->meta().id());
    observe(task->meta().id(), proto::TASK_STATE_FAILED);
  }
  const auto tasks = tasks_of("web");
  EXPECT_EQ(tasks.size(), 3U);
  for (const proto::Task* task : tasks) {
    // The oldest failed tasks went first.
    EXPECT_TRUE(task->meta().id() == ids[4] || task->meta().id() == ids[5] ||
                task->desired_state() == proto::TASK_STATE_RUNNING)
        << task->meta().id();
  }
}

TEST_F(ReaperTest, DesiredRemoveTasksGoOnceStoppedOrNeverAssigned) {
  create(make_service("web", 2));
  const std::string running = active_in_slot("web", 1)->meta().id();
  observe(running, proto::TASK_STATE_RUNNING, "n1");
  store::WriteTx tx;
  tx.remove(*h_.store.get<proto::Service>("web"));
  h_.write(tx);
  // The never-assigned task is gone; the running one stays until it stops.
  ASSERT_EQ(tasks_of("web").size(), 1U);
  EXPECT_EQ(tasks_of("web").front()->meta().id(), running);
  observe(running, proto::TASK_STATE_SHUTDOWN);
  EXPECT_TRUE(tasks_of("web").empty());
}

}  // namespace
}  // namespace herd::manager
