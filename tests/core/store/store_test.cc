#include "core/store/store.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "core/codec/proto_codec.h"
#include "core/store/object_id.h"
#include "core/store/write_tx.h"

namespace herd::store {
namespace {

proto::Service make_service(const std::string& id, const std::string& name, int replicas = 1) {
  proto::Service service;
  service.mutable_meta()->set_id(id);
  service.mutable_spec()->set_name(name);
  service.mutable_spec()->set_replicas(replicas);
  return service;
}

proto::Task make_task(const std::string& id, const std::string& service_id, std::uint64_t slot,
                      const std::string& node_id = "") {
  proto::Task task;
  task.mutable_meta()->set_id(id);
  task.set_service_id(service_id);
  task.set_slot(slot);
  task.set_node_id(node_id);
  task.set_desired_state(proto::TASK_STATE_RUNNING);
  return task;
}

class RecordingWatcher final : public Watcher {
 public:
  void on_store_event(const Event& event) override {
    std::visit(
        [this](const auto& change) {
          std::string kind = change.created() ? "create" : change.removed() ? "remove" : "update";
          log.push_back(kind + " " + change.current().meta().id());
        },
        event);
  }
  void on_store_commit(std::uint64_t version) override {
    log.push_back("commit " + std::to_string(version));
  }
  void on_store_reset() override { log.push_back("reset"); }

  std::vector<std::string> log;
};

TEST(StoreTest, CreateAssignsTheTransactionVersion) {
  Store store;
  WriteTx tx;
  tx.create(make_service("s1", "web"));
  tx.create(make_task("t1", "s1", 1));
  ASSERT_TRUE(store.apply(tx.transaction()).is_ok());
  EXPECT_EQ(store.version(), 1U);
  ASSERT_NE(store.get<proto::Service>("s1"), nullptr);
  EXPECT_EQ(store.get<proto::Service>("s1")->meta().version(), 1U);
  EXPECT_EQ(store.get<proto::Task>("t1")->meta().version(), 1U);
  EXPECT_EQ(store.table<proto::Service>().by_name("web")->meta().id(), "s1");
}

TEST(StoreTest, IndexesFollowUpdates) {
  Store store;
  WriteTx create;
  create.create(make_task("t1", "s1", 1, "n1"));
  create.create(make_task("t2", "s1", 2, "n1"));
  create.create(make_task("t3", "s2", 1, "n2"));
  ASSERT_TRUE(store.apply(create.transaction()).is_ok());
  const auto& tasks = store.table<proto::Task>();
  EXPECT_EQ(tasks.find(Index::kServiceId, "s1"), (IdSet{"t1", "t2"}));
  EXPECT_EQ(tasks.find(Index::kNodeId, "n1"), (IdSet{"t1", "t2"}));
  EXPECT_EQ(tasks.find(Index::kSlot, task_slot_key("s1", 2)), (IdSet{"t2"}));

  proto::Task moved = *store.get<proto::Task>("t2");
  moved.set_node_id("n2");
  moved.set_desired_state(proto::TASK_STATE_SHUTDOWN);
  WriteTx update;
  update.update(moved);
  ASSERT_TRUE(store.apply(update.transaction()).is_ok());
  EXPECT_EQ(tasks.find(Index::kNodeId, "n1"), (IdSet{"t1"}));
  EXPECT_EQ(tasks.find(Index::kNodeId, "n2"), (IdSet{"t2", "t3"}));
  EXPECT_EQ(tasks.find(Index::kDesiredState, std::to_string(proto::TASK_STATE_SHUTDOWN)),
            (IdSet{"t2"}));
  EXPECT_TRUE(tasks.find(Index::kNodeId, "nowhere").empty());
}

TEST(StoreTest, StaleUpdateFailsAndChangesNothing) {
  Store store;
  WriteTx create;
  create.create(make_service("s1", "web", 1));
  ASSERT_TRUE(store.apply(create.transaction()).is_ok());

  proto::Service first = *store.get<proto::Service>("s1");
  proto::Service second = first;  // both read version 1
  first.mutable_spec()->set_replicas(5);
  second.mutable_spec()->set_replicas(9);
  WriteTx a;
  a.update(first);
  WriteTx b;
  b.update(second);
  ASSERT_TRUE(store.apply(a.transaction()).is_ok());
  const Status stale = store.apply(b.transaction());
  EXPECT_EQ(stale.code(), StatusCode::kAborted);
  EXPECT_NE(stale.message().find("stale write, read version 1 but stored version is 2"),
            std::string::npos)
      << stale;
  EXPECT_EQ(store.get<proto::Service>("s1")->spec().replicas(), 5U);
  EXPECT_EQ(store.version(), 2U);
}

TEST(StoreTest, FailedTransactionIsRolledBackWhole) {
  Store store;
  WriteTx setup;
  setup.create(make_service("s1", "web"));
  setup.create(make_task("t1", "s1", 1, "n1"));
  ASSERT_TRUE(store.apply(setup.transaction()).is_ok());
  const std::string before = codec::encode_message(store.snapshot());

  RecordingWatcher watcher;
  store.add_watcher(&watcher);
  proto::Task task = *store.get<proto::Task>("t1");
  task.set_node_id("n9");
  WriteTx tx;
  tx.update(task);                            // fine on its own
  tx.create(make_task("t2", "s1", 2, "n1"));  // fine on its own
  tx.create(make_service("s2", "web"));       // duplicate name: fails the whole transaction
  const Status status = store.apply(tx.transaction());
  EXPECT_EQ(status.code(), StatusCode::kAlreadyExists);
  EXPECT_NE(status.message().find("action 2"), std::string::npos) << status;
  EXPECT_NE(status.message().find("name 'web' is taken by s1"), std::string::npos) << status;
  EXPECT_EQ(codec::encode_message(store.snapshot()), before);
  EXPECT_EQ(store.table<proto::Task>().find(Index::kNodeId, "n1"), (IdSet{"t1"}));
  EXPECT_TRUE(watcher.log.empty());
  store.remove_watcher(&watcher);
}

TEST(StoreTest, ErrorsNameTheObject) {
  Store store;
  WriteTx update;
  update.update(make_task("ghost", "s1", 1));
  const Status missing = store.apply(update.transaction());
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("task ghost does not exist"), std::string::npos);

  WriteTx twice;
  twice.create(make_task("t1", "s1", 1));
  twice.create(make_task("t1", "s1", 1));
  EXPECT_EQ(store.apply(twice.transaction()).code(), StatusCode::kAlreadyExists);

  proto::StoreTransaction empty_object;
  empty_object.add_actions()->set_type(proto::STORE_ACTION_CREATE);
  EXPECT_EQ(store.apply(empty_object).code(), StatusCode::kInvalidArgument);

  WriteTx no_id;
  no_id.create(proto::Service());
  EXPECT_EQ(store.apply(no_id.transaction()).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store.version(), 0U);
}

TEST(StoreTest, RemoveChecksVersionUnlessZero) {
  Store store;
  WriteTx setup;
  setup.create(make_task("t1", "s1", 1));
  setup.create(make_task("t2", "s1", 2));
  ASSERT_TRUE(store.apply(setup.transaction()).is_ok());
  proto::Task stale = *store.get<proto::Task>("t1");
  stale.mutable_meta()->set_version(99);
  WriteTx bad;
  bad.remove(stale);
  EXPECT_EQ(store.apply(bad.transaction()).code(), StatusCode::kAborted);

  WriteTx good;
  good.remove(*store.get<proto::Task>("t1"));
  proto::Task any_version = make_task("t2", "", 0);
  good.remove(any_version);  // version 0: unconditional
  ASSERT_TRUE(store.apply(good.transaction()).is_ok());
  EXPECT_EQ(store.table<proto::Task>().size(), 0U);
  EXPECT_TRUE(store.table<proto::Task>().find(Index::kServiceId, "s1").empty());
}

TEST(StoreTest, WatchersHearEventsInOrderThenCommit) {
  Store store;
  RecordingWatcher watcher;
  store.add_watcher(&watcher);
  WriteTx create;
  create.create(make_service("s1", "web"));
  create.create(make_task("t1", "s1", 1));
  ASSERT_TRUE(store.apply(create.transaction()).is_ok());
  WriteTx change;
  change.update(*store.get<proto::Task>("t1"));
  change.remove(*store.get<proto::Service>("s1"));
  ASSERT_TRUE(store.apply(change.transaction()).is_ok());
  EXPECT_EQ(watcher.log, (std::vector<std::string>{"create s1", "create t1", "commit 1",
                                                   "update t1", "remove s1", "commit 2"}));
  store.remove_watcher(&watcher);
}

TEST(StoreTest, ChangeCarriesBeforeAndAfter) {
  Store store;
  WriteTx create;
  create.create(make_task("t1", "s1", 1, "n1"));
  ASSERT_TRUE(store.apply(create.transaction()).is_ok());

  struct Capture final : Watcher {
    void on_store_event(const Event& event) override {
      const auto& change = std::get<Change<proto::Task>>(event);
      before_node = change.before->node_id();
      after_node = change.after->node_id();
      after_version = change.after->meta().version();
    }
    void on_store_commit(std::uint64_t) override {}
    void on_store_reset() override {}
    std::string before_node, after_node;
    std::uint64_t after_version = 0;
  } capture;
  store.add_watcher(&capture);
  proto::Task task = *store.get<proto::Task>("t1");
  task.set_node_id("n2");
  WriteTx update;
  update.update(task);
  ASSERT_TRUE(store.apply(update.transaction()).is_ok());
  EXPECT_EQ(capture.before_node, "n1");
  EXPECT_EQ(capture.after_node, "n2");
  EXPECT_EQ(capture.after_version, 2U);
  store.remove_watcher(&capture);
}

TEST(StoreTest, SnapshotRoundTripsThroughBytes) {
  Store store;
  WriteTx tx;
  proto::Service service = make_service("s1", "web", 3);
  (*service.mutable_spec()->mutable_labels())["tier"] = "front";
  (*service.mutable_spec()->mutable_labels())["app"] = "shop";
  tx.create(service);
  for (int i = 1; i <= 3; ++i) {
    tx.create(make_task("t" + std::to_string(i), "s1", static_cast<std::uint64_t>(i), "n1"));
  }
  proto::Node node;
  node.mutable_meta()->set_id("n1");
  node.mutable_description()->set_hostname("w0");
  tx.create(node);
  ASSERT_TRUE(store.apply(tx.transaction()).is_ok());

  const std::string bytes = codec::encode_message(store.snapshot());
  proto::StoreSnapshot decoded;
  ASSERT_TRUE(codec::decode_message(bytes, decoded, "snapshot").is_ok());
  Store restored;
  RecordingWatcher watcher;
  restored.add_watcher(&watcher);
  ASSERT_TRUE(restored.restore(decoded).is_ok());
  EXPECT_EQ(watcher.log, (std::vector<std::string>{"reset"}));
  EXPECT_EQ(codec::encode_message(restored.snapshot()), bytes);
  EXPECT_EQ(restored.version(), store.version());
  EXPECT_EQ(restored.table<proto::Task>().find(Index::kNodeId, "n1").size(), 3U);
  EXPECT_EQ(restored.table<proto::Node>().find(Index::kHostname, "w0"), (IdSet{"n1"}));
  EXPECT_EQ(restored.table<proto::Service>().by_name("web")->spec().labels().at("tier"), "front");
  restored.remove_watcher(&watcher);
}

TEST(StoreTest, BadSnapshotIsRefusedAndLosesNothing) {
  Store store;
  WriteTx tx;
  tx.create(make_service("s1", "web"));
  ASSERT_TRUE(store.apply(tx.transaction()).is_ok());
  proto::StoreSnapshot bad;
  *bad.add_tasks() = make_task("t1", "s1", 1);
  *bad.add_tasks() = make_task("t1", "s1", 2);
  const Status status = store.restore(bad);
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_NE(status.message().find("duplicate id 't1'"), std::string::npos);
  EXPECT_NE(store.get<proto::Service>("s1"), nullptr);

  proto::StoreSnapshot garbage;
  EXPECT_EQ(codec::decode_message("\xff\xff\xff", garbage, "snapshot file").code(),
            StatusCode::kCorruption);
}

TEST(StoreTest, TaskStatusPatchChangesNodeAndStatusOnly) {
  Store store;
  WriteTx setup;
  proto::Task original = make_task("t1", "s1", 1);
  original.mutable_spec()->mutable_container()->set_image("nginx");
  setup.create(original);
  ASSERT_TRUE(store.apply(setup.transaction()).is_ok());

  RecordingWatcher watcher;
  store.add_watcher(&watcher);
  proto::TaskStatus status;
  status.set_state(proto::TASK_STATE_ASSIGNED);
  WriteTx patch;
  patch.task_status("t1", 1, "n7", status);
  ASSERT_TRUE(store.apply(patch.transaction()).is_ok());
  const proto::Task& task = *store.get<proto::Task>("t1");
  EXPECT_EQ(task.node_id(), "n7");
  EXPECT_EQ(task.status().state(), proto::TASK_STATE_ASSIGNED);
  EXPECT_EQ(task.spec().container().image(), "nginx");
  EXPECT_EQ(task.meta().version(), 2U);
  EXPECT_EQ(store.table<proto::Task>().find(Index::kNodeId, "n7"), (IdSet{"t1"}));
  EXPECT_EQ(watcher.log, (std::vector<std::string>{"update t1", "commit 2"}));

  WriteTx stale;
  stale.task_status("t1", 1, "", status);
  EXPECT_EQ(store.apply(stale.transaction()).code(), StatusCode::kAborted);
  WriteTx any_version;
  status.set_state(proto::TASK_STATE_RUNNING);
  any_version.task_status("t1", 0, "", status);
  ASSERT_TRUE(store.apply(any_version.transaction()).is_ok());
  EXPECT_EQ(store.get<proto::Task>("t1")->node_id(), "n7") << "an empty node id keeps the node";
  WriteTx missing;
  missing.task_status("nope", 0, "", status);
  EXPECT_EQ(store.apply(missing.transaction()).code(), StatusCode::kNotFound);
  store.remove_watcher(&watcher);
}

TEST(StoreTest, IndependentActionsSkipFailuresAndKeepTheRest) {
  Store store;
  WriteTx setup;
  setup.create(make_task("t1", "s1", 1));
  setup.create(make_task("t2", "s1", 2));
  ASSERT_TRUE(store.apply(setup.transaction()).is_ok());
  proto::TaskStatus status;
  status.set_state(proto::TASK_STATE_ASSIGNED);
  WriteTx batch;
  batch.set_independent_actions();
  batch.task_status("t1", 1, "n1", status);
  batch.task_status("t2", 99, "n1", status);  // stale
  batch.task_status("t3", 0, "n1", status);   // missing
  const Status result = store.apply(batch.transaction());
  EXPECT_EQ(result.code(), StatusCode::kAborted);
  EXPECT_NE(result.message().find("2 of 3 independent actions failed"), std::string::npos)
      << result;
  EXPECT_EQ(store.get<proto::Task>("t1")->node_id(), "n1");
  EXPECT_EQ(store.get<proto::Task>("t2")->node_id(), "");
  EXPECT_EQ(store.version(), 2U);

  WriteTx all_fail;
  all_fail.set_independent_actions();
  all_fail.task_status("t3", 0, "n1", status);
  EXPECT_EQ(store.apply(all_fail.transaction()).code(), StatusCode::kNotFound);
  EXPECT_EQ(store.version(), 2U) << "nothing applied, no new version";
}

TEST(ProtoCodecTest, EncodingIsDeterministicForMaps) {
  proto::ServiceSpec a;
  proto::ServiceSpec b;
  for (int i = 0; i < 50; ++i) (*a.mutable_labels())["k" + std::to_string(i)] = "v";
  for (int i = 49; i >= 0; --i) (*b.mutable_labels())["k" + std::to_string(i)] = "v";
  EXPECT_EQ(codec::encode_message(a), codec::encode_message(b));
}

TEST(ObjectIdTest, IdsHaveTheSwarmShapeAndFollowTheSeed) {
  Rng first(5);
  Rng second(5);
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_object_id(first);
    EXPECT_TRUE(is_object_id(id)) << id;
    EXPECT_EQ(id, new_object_id(second));
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000U);
  EXPECT_FALSE(is_object_id("UPPERCASE0000000000000000"));
  EXPECT_FALSE(is_object_id("short"));
}

}  // namespace
}  // namespace herd::store
