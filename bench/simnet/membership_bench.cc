// Membership at Swarm3k scale: 3 managers and 4,700 workers in simnet, every node a real
// node::Node. It measures, in order:
//   1. joins: every worker registered and READY in the leader's store (simulated and wall time);
//   2. idle steady state: wall time per simulated minute, the leader's CPU per component from the
//      cost model (heartbeats are the dispatcher's share), memory per simulated worker;
//   3. deploy: one service created with 150,000 replicas; simulated and wall time from the create
//      request until 70,000 and then 150,000 tasks are RUNNING in the leader's store, and tasks per
//      second of wall time;
//   4. loaded steady state: the same readings as 2 with 150,000 tasks running.
// Targets (SPEC.md §9): >= 10,000 tasks/s of wall time from create to 150,000 running; heartbeats
// and status batching <= 25 % of one core; <= 64 KiB per simulated worker; steady state >= 600x
// real time. Flags: --workers N --tasks N --milestone N --seed N --join-spread-s N --steady-s N.
#include <cstdio>

#include "bench/cluster_driver.h"

namespace herd::bench {
namespace {

int run(int argc, char** argv) {
  ClusterShape shape;
  shape.workers = static_cast<int>(int_flag(argc, argv, "--workers", 4'700));
  shape.seed = static_cast<std::uint64_t>(int_flag(argc, argv, "--seed", 3000));
  shape.join_spread = seconds(int_flag(argc, argv, "--join-spread-s", 60));
  const auto tasks = static_cast<std::uint64_t>(int_flag(argc, argv, "--tasks", 150'000));
  const auto milestone = static_cast<std::uint64_t>(int_flag(argc, argv, "--milestone", 70'000));
  const Duration steady = seconds(int_flag(argc, argv, "--steady-s", 60));

  std::printf("membership_bench: 3 managers, %d workers, service of %llu replicas, seed %llu\n",
              shape.workers, static_cast<unsigned long long>(tasks),
              static_cast<unsigned long long>(shape.seed));
  const std::uint64_t rss_start = live_rss_bytes();
  WallClock total;
  ClusterDriver driver(shape);

  // 1. Joins.
  WallClock wall;
  driver.form(minutes(30));
  const double join_wall = wall.seconds();
  const double join_sim = driver.sim_seconds();
  std::printf("join: %d workers ready at %.1f s simulated (join spread %.0f s), %.2f s wall\n",
              shape.workers, join_sim, seconds_of(shape.join_spread), join_wall);

  // 2. Idle steady state.
  driver.sim().run_for(seconds(20));  // let the drain and the first heartbeats settle
  const auto steady_state = [&](const char* label) {
    const CpuReading before = driver.leader_cpu();
    WallClock clock;
    const std::uint64_t events = driver.sim().loop().events_run();
    driver.sim().run_for(steady);
    const double seconds = clock.seconds();
    const double per_minute = seconds / seconds_of(steady) * 60.0;
    std::printf(
        "%s steady state: %.3f s wall per simulated minute (%.0fx real time), %.0f events/s\n",
        label, per_minute, 60.0 / per_minute,
        static_cast<double>(driver.sim().loop().events_run() - events) / seconds);
    std::printf("  leader CPU (cost model): %s\n",
                ClusterDriver::cpu_shares(before, driver.leader_cpu(), steady).c_str());
  };
  steady_state("idle");
  const std::uint64_t rss_joined = live_rss_bytes();
  std::printf(
      "  memory: %.1f MiB resident, %.1f KiB per simulated worker (hosts, nodes, agents, "
      "and the managers' share)\n",
      static_cast<double>(rss_joined) / (1 << 20),
      static_cast<double>(rss_joined - rss_start) / shape.workers / 1024.0);

  // 3. Deploy.
  const CpuReading cpu_before = driver.leader_cpu();
  const TimePoint sim_start = driver.sim().now();
  wall.restart();
  proto::ControlRequest create;
  *create.mutable_create_service() = bench_service("hello", tasks);
  driver.control(create);
  const auto running = [&driver] {
    const scenarios::StoreCounts* counts = driver.leader_counts();
    return counts == nullptr ? 0 : counts->tasks_in(proto::TASK_STATE_RUNNING);
  };
  for (const std::uint64_t target : {milestone, tasks}) {
    if (target > tasks) continue;
    HERD_CHECK(driver.run_until([&] { return running() >= target; }, minutes(30)))
        << "only " << running() << " tasks running";
    const double seconds = wall.seconds();
    std::printf(
        "deploy: %llu running at %.1f s simulated after the create, %.2f s wall "
        "(%.0f tasks/s of wall time)\n",
        static_cast<unsigned long long>(target), seconds_of(driver.sim().now() - sim_start),
        seconds, static_cast<double>(target) / seconds);
  }
  std::printf(
      "  leader CPU during the deploy (cost model): %s\n",
      ClusterDriver::cpu_shares(cpu_before, driver.leader_cpu(), driver.sim().now() - sim_start)
          .c_str());

  // 4. Loaded steady state.
  driver.sim().run_for(seconds(20));
  steady_state("loaded");
  const std::uint64_t rss_loaded = live_rss_bytes();
  std::printf(
      "  memory: %.1f MiB resident; %.0f bytes per task (3 manager stores, the agents' "
      "copies, executors)\n",
      static_cast<double>(rss_loaded) / (1 << 20),
      static_cast<double>(rss_loaded - rss_joined) / static_cast<double>(tasks));
  std::printf("total: %.1f s wall, %llu events, peak RSS %.1f MiB\n", total.seconds(),
              static_cast<unsigned long long>(driver.sim().loop().events_run()),
              static_cast<double>(proc_bytes("VmHWM")) / (1 << 20));
  return 0;
}

}  // namespace
}  // namespace herd::bench

int main(int argc, char** argv) { return herd::bench::run(argc, argv); }
