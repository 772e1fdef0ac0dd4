// Raft + store at scale: a service scaled from 1 to 100,000 replicas on a 3-manager simulated
// cluster (1,000 workers, SwarmKit's 1k-node/100k-task benchmark shape), every write a store
// transaction through Raft, applied on all three managers and seen by their watchers. It reports
// the wall time from the scale request until every manager's store holds all the tasks created,
// then all assigned (the scheduler's decisions committed), then all RUNNING (the agents' status
// reports committed), with tasks per second of wall time and the Raft log it took.
// Flags: --workers N --tasks N --seed N.
#include <cstdio>

#include "bench/cluster_driver.h"

namespace herd::bench {
namespace {

std::uint64_t at_least(const scenarios::StoreCounts& counts, proto::TaskState state) {
  std::uint64_t total = 0;
  for (const auto& [s, n] : counts.tasks_by_state()) total += s >= state ? n : 0;
  return total;
}

int run(int argc, char** argv) {
  ClusterShape shape;
  shape.workers = static_cast<int>(int_flag(argc, argv, "--workers", 1'000));
  shape.seed = static_cast<std::uint64_t>(int_flag(argc, argv, "--seed", 1));
  shape.join_spread = seconds(10);
  const auto tasks = static_cast<std::uint64_t>(int_flag(argc, argv, "--tasks", 100'000));
  std::printf("scale_bench: 3 managers, %d workers, one service scaled from 1 to %llu\n",
              shape.workers, static_cast<unsigned long long>(tasks));
  ClusterDriver driver(shape);
  driver.form(minutes(10));
  proto::ControlRequest create;
  *create.mutable_create_service() = bench_service("scale", 1);
  driver.control(create);
  HERD_CHECK(driver.run_until(
      [&] {
        return driver.min_over_managers([](const scenarios::StoreCounts& c) {
          return c.tasks_in(proto::TASK_STATE_RUNNING);
        }) >= 1;
      },
      minutes(1)));
  driver.sim().run_for(seconds(5));

  simnet::SimHost* leader = driver.leader();
  const LogIndex first_index = driver.cluster().manager_of(*leader)->raft_status().applied;
  const TimePoint sim_start = driver.sim().now();
  const std::uint64_t events = driver.sim().loop().events_run();
  WallClock wall;
  proto::ControlRequest scale;
  scale.mutable_scale_service()->set_service("scale");
  scale.mutable_scale_service()->set_replicas(tasks);
  driver.control(scale);
  struct Milestone {
    const char* name;
    std::function<std::uint64_t(const scenarios::StoreCounts&)> figure;
  };
  const Milestone milestones[] = {
      {"created", [](const scenarios::StoreCounts& c) { return c.tasks(); }},
      {"assigned",
       [](const scenarios::StoreCounts& c) { return at_least(c, proto::TASK_STATE_ASSIGNED); }},
      {"running",
       [](const scenarios::StoreCounts& c) { return c.tasks_in(proto::TASK_STATE_RUNNING); }},
  };
  for (const Milestone& milestone : milestones) {
    HERD_CHECK(driver.run_until([&] { return driver.min_over_managers(milestone.figure) >= tasks; },
                                minutes(30), milliseconds(10)))
        << milestone.name << ": only " << driver.min_over_managers(milestone.figure);
    const double seconds = wall.seconds();
    std::printf("%-8s on all 3 managers: %.2f s wall (%.0f tasks/s), %.2f s simulated\n",
                milestone.name, seconds, static_cast<double>(tasks) / seconds,
                seconds_of(driver.sim().now() - sim_start));
  }
  leader = driver.leader();
  const manager::ManagerNode* manager = driver.cluster().manager_of(*leader);
  std::printf("raft: %llu entries applied, %llu snapshots; %llu simulated events\n",
              static_cast<unsigned long long>(manager->raft_status().applied - first_index),
              static_cast<unsigned long long>(manager->snapshots_taken()),
              static_cast<unsigned long long>(driver.sim().loop().events_run() - events));
  std::printf("peak RSS %.1f MiB\n", static_cast<double>(proc_bytes("VmHWM")) / (1 << 20));
  return 0;
}

}  // namespace
}  // namespace herd::bench

int main(int argc, char** argv) { return herd::bench::run(argc, argv); }
