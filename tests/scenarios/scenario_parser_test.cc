#include "scenarios/scenario_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace herd::scenarios {
namespace {

// A scenario that uses every field of the format.
constexpr std::string_view kFull = R"({
  "name": "everything",
  "description": "uses every field",
  "seed": 42,
  "duration": "1h30m",
  "topology": {
    "datacenters": [
      { "name": "dc1", "managers": 3, "workers": 10,
        "manager_host": { "cores": 16, "memory": "128GiB" },
        "worker_host": { "cores": 2, "memory": "1GiB", "labels": { "zone": "a" } },
        "lan": { "latency": "200us", "jitter": "50us", "bandwidth": "10Gbps", "loss": 0.0 } },
      { "name": "dc2", "managers": 2, "workers": 5, "worker_names": ["edge-0"] }
    ],
    "wan": [ { "between": ["dc1", "dc2"], "latency": "30ms", "jitter": "2ms",
               "bandwidth": "1Gbps", "loss": 0.001 } ]
  },
  "cluster": { "tick": "1s", "heartbeat_tick": 1, "election_tick": 10, "snapshot_interval": 5000,
               "heartbeat_period": "5s", "task_history_limit": 3, "drain_managers": true,
               "join_spread": "20s" },
  "timeline": [
    { "at": "30s", "do": "service.create", "spec": {
        "name": "web", "image": "nginx", "mode": "replicated", "replicas": 100,
        "command": ["sleep", "3600"], "args": ["-x"], "env": { "K": "V" },
        "resources": { "cpus": 0.1, "memory": "64MiB" },
        "constraints": ["node.role != manager", "node.labels.zone == a"],
        "preferences": ["spread=node.labels.zone"],
        "publish": [ { "target": 80, "published": 30080, "mode": "ingress" } ],
        "restart": { "condition": "on-failure", "delay": "5s", "max_attempts": 3, "window": "1m" },
        "update": { "parallelism": 2, "delay": "10s", "failure_action": "rollback",
                    "monitor": "5s", "max_failure_ratio": 0.1, "order": "start-first" },
        "task": { "start_latency": "2s", "fail_probability": 0.01, "run_for": null } } },
    { "at": "31s", "do": "service.create", "spec": { "name": "agent", "image": "a", "mode": "global" } },
    { "at": "1m", "do": "service.scale", "service": "web", "replicas": 200 },
    { "at": "2m", "do": "service.update", "service": "web", "spec": { "image": "nginx:2" } },
    { "at": "3m", "do": "service.rollback", "service": "web" },
    { "at": "4m", "do": "node.drain", "target": "worker:3" },
    { "at": "4m", "do": "node.pause", "target": "w4" },
    { "at": "4m", "do": "node.activate", "target": "worker:3" },
    { "at": "5m", "do": "node.promote", "target": "worker:1" },
    { "at": "6m", "do": "node.demote", "target": "manager:4" },
    { "at": "7m", "do": "node.label", "target": "w2", "add": { "ssd": "true" }, "rm": ["zone"] },
    { "at": "8m", "do": "node.rm", "target": "worker:9", "force": true },
    { "at": "9m", "do": "node.join", "count": 5, "role": "worker", "dc": "dc2" },
    { "at": "9m", "do": "node.leave", "target": "w17" },
    { "at": "10m", "do": "token.rotate", "role": "manager" },
    { "at": "11m", "do": "crash", "target": "leader" },
    { "at": "12m", "do": "restart", "target": "crashed" },
    { "at": "13m", "do": "power_cycle", "target": "random:manager", "for": "30s" },
    { "at": "14m", "do": "partition", "groups": [["dc:dc1"], ["dc:dc2"]], "one_way": true, "for": "1m" },
    { "at": "15m", "do": "partition", "isolate": "mg0" },
    { "at": "16m", "do": "heal" },
    { "at": "17m", "do": "clog", "target": "random:worker", "for": "10s" },
    { "at": "18m", "do": "link.slow", "between": ["mg0", "mg1"], "latency": "100ms", "for": "1m" },
    { "at": "19m", "do": "link.loss", "between": ["dc:dc1", "dc:dc2"], "loss": 0.1,
      "duplicate": 0.05, "reorder": 0.2, "for": "1m" },
    { "at": "20m", "do": "disk.fail_sync", "target": "manager:0" },
    { "at": "20m", "do": "disk.corrupt", "target": "manager:1" },
    { "at": "20m", "do": "disk.slow", "target": "manager:2", "latency": "50ms" },
    { "at": "21m", "do": "clock.skew", "target": "mg1", "offset": "-2s", "drift_ppm": 100 },
    { "at": "22m", "do": "cpu.slow", "target": "leader", "factor": 4, "for": "1m" },
    { "at": "23m", "do": "service.rm", "service": "agent" }
  ],
  "expect": [
    { "that": "service.running", "service": "web", "replicas": 200, "by": "5m" },
    { "that": "leader.elected", "after": "11m", "within": "30s" },
    { "that": "node.status", "target": "worker:0", "status": "down", "after": "1m", "within": "20s" },
    { "that": "tasks.pending", "service": "web", "count": 0, "at": "30m" },
    { "that": "no_task_on", "target": "worker:3", "service": "web", "after": "5m" },
    { "that": "converged", "after": "25m", "within": "5m" }
  ],
  "explore": { "faults": ["crash", "partition", "clog", "link.loss", "disk.corrupt", "clock.skew"],
               "rate": "2/min", "max_concurrent": 1, "protect_quorum": true }
})";

TEST(ScenarioParserTest, ParsesEveryField) {
  const Result<Scenario> parsed = parse_scenario(kFull);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const Scenario& s = *parsed;
  EXPECT_EQ(s.name, "everything");
  EXPECT_EQ(s.seed, 42U);
  EXPECT_EQ(s.duration, minutes(90));
  ASSERT_EQ(s.topology.datacenters.size(), 2U);
  EXPECT_EQ(s.topology.manager_count(), 5);
  EXPECT_EQ(s.topology.worker_count(), 15);
  EXPECT_EQ(s.topology.datacenters[0].manager_host.cores, 16);
  EXPECT_EQ(s.topology.datacenters[0].worker_host.labels.at("zone"), "a");
  EXPECT_EQ(s.topology.datacenters[0].lan.latency, microseconds(200));
  EXPECT_EQ(s.topology.wan[0].link.bandwidth_bps, 1'000'000'000U);
  EXPECT_DOUBLE_EQ(s.topology.wan[0].link.loss, 0.001);
  EXPECT_EQ(s.worker_name(10), "edge-0") << "dc2's first worker is named";
  EXPECT_EQ(s.worker_name(11), "w11");
  EXPECT_EQ(s.manager_name(4), "mg4");
  EXPECT_EQ(s.cluster.snapshot_interval, 5000U);
  EXPECT_TRUE(s.cluster.drain_managers);
  EXPECT_EQ(s.cluster.join_spread, seconds(20));
  ASSERT_EQ(s.timeline.size(), 30U);
  const Action& create = s.timeline[0];
  EXPECT_EQ(create.kind, ActionKind::kServiceCreate);
  EXPECT_EQ(create.spec.replicas(), 100U);
  EXPECT_EQ(create.spec.task().resources().reservations().nano_cpus(), 100'000'000);
  EXPECT_EQ(create.spec.task().resources().reservations().memory_bytes(), 64LL << 20);
  EXPECT_EQ(create.spec.task().placement().constraints_size(), 2);
  EXPECT_EQ(create.spec.endpoint().ports(0).published_port(), 30080U);
  EXPECT_EQ(create.spec.task().restart().condition(), proto::RESTART_CONDITION_ON_FAILURE);
  EXPECT_EQ(create.spec.task().restart().max_attempts(), 3U);
  EXPECT_EQ(create.spec.update().failure_action(), proto::UPDATE_FAILURE_ACTION_ROLLBACK);
  EXPECT_EQ(create.spec.update().order(), proto::UPDATE_ORDER_START_FIRST);
  EXPECT_EQ(create.spec.task().container().simulated().start_latency_ns(),
            Duration(seconds(2)).count());
  EXPECT_EQ(create.spec.task().container().simulated().run_for_ns(), 0);
  EXPECT_EQ(s.timeline[1].spec.mode(), proto::SERVICE_MODE_GLOBAL);
  EXPECT_EQ(s.timeline[3].spec_fields, std::vector<std::string>{"image"});
  EXPECT_EQ(s.timeline[5].target.kind, Target::Kind::kWorker);
  EXPECT_EQ(s.timeline[5].target.index, 3);
  EXPECT_EQ(s.timeline[6].target.kind, Target::Kind::kHost);
  EXPECT_EQ(s.timeline[10].label_rm, std::vector<std::string>{"zone"});
  EXPECT_TRUE(s.timeline[11].force);
  EXPECT_EQ(s.timeline[12].count, 5);
  EXPECT_EQ(s.timeline[12].dc, "dc2");
  EXPECT_EQ(s.timeline[13].target.name, "w17") << "a host added by node.join";
  EXPECT_EQ(s.timeline[14].role, proto::NODE_ROLE_MANAGER);
  EXPECT_EQ(s.timeline[15].target.kind, Target::Kind::kLeader);
  EXPECT_EQ(s.timeline[16].target.kind, Target::Kind::kCrashed);
  EXPECT_EQ(*s.timeline[17].duration, seconds(30));
  EXPECT_EQ(s.timeline[18].groups.size(), 2U);
  EXPECT_TRUE(s.timeline[18].one_way);
  EXPECT_EQ(s.timeline[19].isolate->name, "mg0");
  EXPECT_FALSE(s.timeline[19].duration.has_value()) << "until healed";
  EXPECT_EQ(s.timeline[21].target.kind, Target::Kind::kRandomWorker);
  EXPECT_EQ(s.timeline[22].latency, milliseconds(100));
  EXPECT_DOUBLE_EQ(s.timeline[23].reorder, 0.2);
  EXPECT_EQ(s.timeline[26].latency, milliseconds(50));
  EXPECT_EQ(s.timeline[27].offset, seconds(-2));
  EXPECT_EQ(s.timeline[27].drift_ppm, 100);
  EXPECT_DOUBLE_EQ(s.timeline[28].factor, 4.0);
  ASSERT_EQ(s.expect.size(), 6U);
  EXPECT_EQ(s.expect[2].status, proto::NODE_STATE_DOWN);
  EXPECT_EQ(s.expect[3].at, minutes(30));
  ASSERT_TRUE(s.explore.has_value());
  EXPECT_EQ(s.explore->faults.size(), 6U);
  EXPECT_EQ(s.explore->mean_interval, seconds(30));
}

TEST(ScenarioParserTest, DefaultsForOptionalParts) {
  const Result<Scenario> parsed = parse_scenario(R"({
    "name": "tiny", "duration": "1m",
    "topology": { "datacenters": [ { "name": "dc1", "managers": 1, "workers": 3 } ] } })");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->seed, 1U);
  EXPECT_EQ(parsed->cluster.election_tick, 10);
  EXPECT_EQ(parsed->cluster.heartbeat_period, seconds(5));
  EXPECT_EQ(parsed->cluster.join_spread, seconds(10));
  EXPECT_TRUE(parsed->timeline.empty());
  EXPECT_FALSE(parsed->explore.has_value());
}

// Replaces the first occurrence of `from` in the full scenario.
std::string edit(std::string_view from, std::string_view to) {
  std::string text(kFull);
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(ScenarioParserTest, BadFilesNameTheJsonPath) {
  const struct {
    std::string text;
    std::string message;
  } cases[] = {
      {"{ not json", "not valid JSON"},
      {"[]", "expected an object"},
      {edit(R"("name": "everything",)", ""), "name: is required"},
      {edit(R"("seed": 42)", R"("seed": "42")"), "seed: expected an integer"},
      {edit(R"("duration": "1h30m")", R"("duration": 5400)"),
       "duration: expected a duration string like \"30s\", got 5400"},
      {edit(R"("duration": "1h30m")", R"("duration": "90")"),
       "duration: duration '90' needs a unit"},
      {edit(R"("description")", R"("descripton")"), "descripton: unknown field"},
      {edit(R"("cores": 16)", R"("cores": 0)"),
       "topology.datacenters[0].manager_host.cores: 0 is outside 1..1024"},
      {edit(R"("memory": "128GiB")", R"("memory": "128")"),
       "topology.datacenters[0].manager_host.memory: size '128' needs a unit"},
      {edit(R"("bandwidth": "10Gbps")", R"("bandwidth": "10GB")"),
       "topology.datacenters[0].lan.bandwidth: rate '10GB' needs a unit"},
      {edit(R"("loss": 0.001)", R"("loss": 1.5)"), "topology.wan[0].loss: 1.5 is outside [0, 1]"},
      {edit(R"("between": ["dc1", "dc2"], "latency": "30ms")",
            R"("between": ["dc1", "dc9"], "latency": "30ms")"),
       "topology.wan[0].between: unknown datacenter 'dc9'"},
      {edit(R"({ "name": "dc2")", R"({ "name": "dc1")"),
       "topology.datacenters[1].name: datacenter 'dc1' is defined twice"},
      {edit(R"("election_tick": 10)", R"("election_tick": 1)"),
       "cluster.election_tick: 1 is outside 2..10000"},
      {edit(R"("do": "service.scale")", R"("do": "service.scal")"),
       "timeline[2].do: unknown action 'service.scal'"},
      {edit(R"("target": "worker:3" },)", R"("target": "worker:99" },)"),
       "timeline[5].target: 'worker:99': there are only 20 workers"},
      {edit(R"("target": "w4")", R"("target": "w99")"), "timeline[6].target: unknown host 'w99'"},
      {edit(R"("target": "w4")", R"("tagret": "w4")"), "timeline[6].target: is required"},
      {edit(R"("at": "1m", "do": "service.scale")", R"("at": "10s", "do": "service.scale")"),
       "timeline[2].at: 10s is before the previous entry's 31s"},
      {edit(R"("at": "23m")", R"("at": "2h")"),
       "timeline[29].at: 2h is after the end of the run (1h30m)"},
      {edit(R"("service": "web", "replicas": 200)", R"("service": "api", "replicas": 200)"),
       "timeline[2].service: no service 'api' is created before 1m"},
      {edit(R"("replicas": 200 },)", R"("replicas": -1 },)"),
       "timeline[2].replicas: -1 is outside"},
      {edit(R"("mode": "replicated")", R"("mode": "clustered")"),
       "timeline[0].spec.mode: must be replicated or global, not 'clustered'"},
      {edit(R"("condition": "on-failure")", R"("condition": "sometimes")"),
       "timeline[0].spec.restart.condition: must be none, on-failure or any"},
      {edit(R"("failure_action": "rollback")", R"("failure_action": "panic")"),
       "timeline[0].spec.update.failure_action: must be pause, continue or rollback"},
      {edit(R"("target": 80,)", R"("target": 70000,)"),
       "timeline[0].spec.publish[0].target: 70000 is outside 1..65535"},
      {edit(R"("fail_probability": 0.01)", R"("fail_probability": 2)"),
       "timeline[0].spec.task.fail_probability: 2 is outside [0, 1]"},
      {edit(R"("isolate": "mg0")", R"("isolate": "mg0", "groups": [["w1"], ["w2"]])"),
       "timeline[19]: partition needs exactly one of groups or isolate"},
      {edit(R"("groups": [["dc:dc1"], ["dc:dc2"]])", R"("groups": [["dc:dc1"], ["dc:nowhere"]])"),
       "timeline[18].groups[1][0]: unknown datacenter 'nowhere'"},
      {edit(R"("factor": 4)", R"("factor": 0.5)"), "timeline[28].factor: 0.5 is outside [1, 1000]"},
      {edit(R"("do": "power_cycle", "target": "random:manager", "for": "30s")",
            R"("do": "power_cycle", "target": "random:manager")"),
       "timeline[17].for: is required"},
      {edit(R"("that": "converged")", R"("that": "happy")"),
       "expect[5].that: unknown expectation 'happy'"},
      {edit(R"("status": "down")", R"("status": "sleepy")"),
       "expect[2].status: must be ready or down"},
      {edit(R"("faults": ["crash",)", R"("faults": ["service.rm",)"),
       "explore.faults[0]: 'service.rm' is not a fault explore can inject"},
      {edit(R"("rate": "2/min")", R"("rate": "often")"),
       "explore.rate: rate 'often' must look like 2/min"},
      {edit(R"({ "name": "agent", "image": "a", "mode": "global" })",
            R"({ "name": "web", "image": "a", "mode": "global" })"),
       "timeline[1].spec.name: service 'web' is created twice"},
  };
  for (const auto& c : cases) {
    const Result<Scenario> parsed = parse_scenario(c.text);
    ASSERT_FALSE(parsed.ok()) << "accepted a file that should fail with: " << c.message;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(c.message), std::string::npos)
        << "expected '" << c.message << "'\n     got '" << parsed.status().message() << "'";
  }
}

TEST(ScenarioParserTest, LoadReportsUnreadableFiles) {
  const Result<Scenario> missing = load_scenario("/nonexistent/scenario.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace herd::scenarios
