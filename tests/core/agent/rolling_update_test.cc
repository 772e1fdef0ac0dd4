#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "tests/core/agent/mini_cluster.h"

namespace herd::agent {
namespace {

class RollingUpdateTest : public MiniCluster {
 protected:
  void SetUp() override {
    start_leader();
    for (std::uint64_t id = 10; id < 14; ++id) add_worker(id);
    run_for(milliseconds(100));
  }

  const proto::Service& service(const std::string& name) const {
    return *h_.store.table<proto::Service>().by_name(name);
  }

  std::string update(const std::string& name,
                     const std::function<void(proto::ServiceSpec&)>& change) {
    proto::ControlRequest request;
    request.mutable_update_service()->set_service(name);
    proto::ServiceSpec spec = service(name).spec();
    change(spec);
    *request.mutable_update_service()->mutable_spec() = spec;
    std::string code;
    leader_->control_api().handle(
        request, [&](proto::ControlResponse r) { code = r.code() + " " + r.message(); });
    run_for(milliseconds(20));
    return code;
  }

  // Tasks of the service desired RUNNING and running, by spec version.
  std::map<std::uint64_t, int> running_by_version(const std::string& name) const {
    std::map<std::uint64_t, int> counts;
    const std::string& id = service(name).meta().id();
    for (const auto& [task_id, task] : h_.store.table<proto::Task>().all()) {
      if (task.service_id() == id && task.status().state() == proto::TASK_STATE_RUNNING &&
          task.desired_state() == proto::TASK_STATE_RUNNING) {
        ++counts[task.spec_version()];
      }
    }
    return counts;
  }

  // Runs for `d`, checking at every step that running tasks stay within [low, high].
  void run_checking(Duration d, const std::string& name, int low, int high) {
    const TimePoint end = h_.clock.now() + d;
    while (h_.clock.now() < end) {
      run_for(milliseconds(50));
      int total = 0;
      for (const auto& [version, count] : running_by_version(name)) total += count;
      ASSERT_GE(total, low) << "at " << format_duration(h_.clock.now().time_since_epoch());
      ASSERT_LE(total, high) << "at " << format_duration(h_.clock.now().time_since_epoch());
    }
  }

  void create(const std::string& name, std::uint64_t replicas, proto::UpdateOrder order,
              proto::UpdateFailureAction on_failure) {
    proto::ControlRequest request;
    proto::ServiceSpec* spec = request.mutable_create_service();
    spec->set_name(name);
    spec->set_replicas(replicas);
    spec->mutable_task()->mutable_container()->set_image("app:1");
    spec->mutable_task()->mutable_container()->mutable_simulated()->set_start_latency_ns(
        Duration(milliseconds(500)).count());
    spec->mutable_task()->mutable_restart()->set_delay_ns(Duration(seconds(1)).count());
    spec->mutable_update()->set_parallelism(1);
    spec->mutable_update()->set_monitor_ns(Duration(seconds(2)).count());
    spec->mutable_update()->set_order(order);
    spec->mutable_update()->set_failure_action(on_failure);
    spec->mutable_rollback()->set_parallelism(2);
    spec->mutable_rollback()->set_monitor_ns(Duration(seconds(1)).count());
    std::string code;
    leader_->control_api().handle(request, [&](proto::ControlResponse r) { code = r.code(); });
    run_for(seconds(3));
    ASSERT_EQ(code, "ok");
    ASSERT_EQ(running_by_version(name),
              (std::map<std::uint64_t, int>{{1, static_cast<int>(replicas)}}));
  }
};

TEST_F(RollingUpdateTest, StopFirstReplacesOneAtATimeAndCompletes) {
  create("web", 4, proto::UPDATE_ORDER_STOP_FIRST, proto::UPDATE_FAILURE_ACTION_PAUSE);
  ASSERT_EQ(update("web",
                   [](proto::ServiceSpec& s) {
                     s.mutable_task()->mutable_container()->set_image("app:2");
                   })
                .substr(0, 2),
            "ok");
  EXPECT_EQ(service("web").update_status().state(), proto::UPDATE_STATE_UPDATING);
  // Stop-first with parallelism 1: never more than 4 running, at most one slot down at a time.
  run_checking(seconds(20), "web", 3, 4);
  EXPECT_EQ(running_by_version("web"), (std::map<std::uint64_t, int>{{2, 4}}));
  EXPECT_EQ(service("web").update_status().state(), proto::UPDATE_STATE_COMPLETED);
  EXPECT_EQ(alive_containers(), 4U);
}

TEST_F(RollingUpdateTest, StartFirstNeverDropsBelowTheDesiredCount) {
  create("web", 4, proto::UPDATE_ORDER_START_FIRST, proto::UPDATE_FAILURE_ACTION_PAUSE);
  update("web",
         [](proto::ServiceSpec& s) { s.mutable_task()->mutable_container()->set_image("app:2"); });
  // Start-first with parallelism 1: at most one extra, never fewer than desired.
  run_checking(seconds(20), "web", 4, 5);
  EXPECT_EQ(running_by_version("web"), (std::map<std::uint64_t, int>{{2, 4}}));
  EXPECT_EQ(service("web").update_status().state(), proto::UPDATE_STATE_COMPLETED);
}

TEST_F(RollingUpdateTest, FailingImagePausesTheUpdate) {
  create("web", 4, proto::UPDATE_ORDER_STOP_FIRST, proto::UPDATE_FAILURE_ACTION_PAUSE);
  update("web", [](proto::ServiceSpec& s) {
    s.mutable_task()->mutable_container()->set_image("broken:2");
    s.mutable_task()->mutable_container()->mutable_simulated()->set_fail_probability(1.0);
  });
  run_for(seconds(20));
  EXPECT_EQ(service("web").update_status().state(), proto::UPDATE_STATE_PAUSED);
  EXPECT_NE(service("web").update_status().message().find("update paused"), std::string::npos);
  // Paused after the first batch: the three other slots still run the old version.
  EXPECT_EQ(running_by_version("web").at(1), 3);
}

TEST_F(RollingUpdateTest, FailingImageRollsBackWhenConfigured) {
  create("web", 4, proto::UPDATE_ORDER_STOP_FIRST, proto::UPDATE_FAILURE_ACTION_ROLLBACK);
  update("web", [](proto::ServiceSpec& s) {
    s.mutable_task()->mutable_container()->set_image("broken:2");
    s.mutable_task()->mutable_container()->mutable_simulated()->set_fail_probability(1.0);
  });
  run_for(seconds(30));
  const proto::Service& web = service("web");
  EXPECT_EQ(web.update_status().state(), proto::UPDATE_STATE_ROLLBACK_COMPLETED);
  EXPECT_EQ(web.spec().task().container().image(), "app:1");
  EXPECT_EQ(web.spec_version(), 3U) << "the rollback is a new version of the old spec";
  EXPECT_EQ(running_by_version("web"), (std::map<std::uint64_t, int>{{3, 4}}));
}

TEST_F(RollingUpdateTest, ManualRollbackRestoresThePreviousSpec) {
  create("web", 2, proto::UPDATE_ORDER_STOP_FIRST, proto::UPDATE_FAILURE_ACTION_PAUSE);
  update("web",
         [](proto::ServiceSpec& s) { s.mutable_task()->mutable_container()->set_image("app:2"); });
  run_for(seconds(15));
  ASSERT_EQ(service("web").update_status().state(), proto::UPDATE_STATE_COMPLETED);
  proto::ControlRequest rollback;
  rollback.set_rollback_service("web");
  std::string code;
  leader_->control_api().handle(rollback, [&](proto::ControlResponse r) { code = r.code(); });
  run_for(seconds(15));
  ASSERT_EQ(code, "ok");
  EXPECT_EQ(service("web").spec().task().container().image(), "app:1");
  EXPECT_EQ(service("web").update_status().state(), proto::UPDATE_STATE_ROLLBACK_COMPLETED);
  EXPECT_EQ(running_by_version("web"), (std::map<std::uint64_t, int>{{3, 2}}));

  proto::ControlRequest fresh;
  fresh.mutable_create_service()->set_name("new");
  fresh.mutable_create_service()->mutable_task()->mutable_container()->set_image("x");
  leader_->control_api().handle(fresh, [](proto::ControlResponse) {});
  run_for(milliseconds(50));
  proto::ControlRequest no_previous;
  no_previous.set_rollback_service("new");
  leader_->control_api().handle(no_previous, [&](proto::ControlResponse r) { code = r.code(); });
  EXPECT_EQ(code, "failed_precondition");
}

}  // namespace
}  // namespace herd::agent
