#include "scenarios/runner.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "scenarios/scenario_parser.h"

namespace herd::scenarios {
namespace {

Scenario load(const std::string& name) {
  Result<Scenario> scenario =
      load_scenario(std::string(HERD_SOURCE_DIR) + "/scenarios/library/" + name + ".json");
  EXPECT_TRUE(scenario.ok()) << scenario.status();
  return scenario.ok() ? *scenario : Scenario();
}

RunOptions quiet() {
  RunOptions options;
  options.quiet = true;
  options.write_reports = false;
  return options;
}

// quickstart spreads nginx x3 over three workers, so "none on worker 0" must fail and say where.
TEST(RunnerTest, NoTaskOnFailsWhenTheServiceRunsThere) {
  Scenario scenario = load("quickstart");
  Expectation none_on_w0;
  none_on_w0.kind = ExpectationKind::kNoTaskOn;
  none_on_w0.path = "expect[9]";
  none_on_w0.service = "web";
  none_on_w0.after = seconds(60);
  none_on_w0.target.kind = Target::Kind::kWorker;
  none_on_w0.target.index = 0;
  scenario.expect.push_back(none_on_w0);
  const Result<RunResult> result = run_scenario(scenario, quiet());
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->passed);
  ASSERT_EQ(result->failures.size(), 1U);
  EXPECT_NE(result->failures[0].find("1 tasks of web run on w0"), std::string::npos)
      << result->failures[0];
}

TEST(RunnerTest, QuickstartRunsGreen) {
  const Result<RunResult> result = run_scenario(load("quickstart"), quiet());
  ASSERT_TRUE(result.ok()) << result.status();
  for (const std::string& failure : result->failures) ADD_FAILURE() << failure;
  EXPECT_TRUE(result->passed);
  EXPECT_EQ(result->report["expectations"].size(), 3U);
  EXPECT_GT(result->report["series"]["time_s"].size(), 100U);

  // Messages by kind add up to all of them, second by second. One manager: no Raft traffic.
  const auto& by_kind = result->report["series"]["messages_per_s"];
  ASSERT_TRUE(!by_kind.contains("raft_append") && by_kind.contains("session_heartbeat") &&
              by_kind.contains("session_status"))
      << by_kind.dump();
  const auto& all = by_kind["all"];
  for (std::size_t t = 0; t < all.size(); ++t) {
    std::uint64_t sum = 0;
    for (const auto& [kind, values] : by_kind.items()) {
      if (kind != "all") sum += values[t].get<std::uint64_t>();
    }
    ASSERT_EQ(sum, all[t].get<std::uint64_t>()) << "second " << t;
  }
}

TEST(RunnerTest, SameSeedSameTraceHash) {
  const Scenario scenario = load("quickstart");
  const RunResult first = *run_scenario(scenario, quiet());
  const RunResult again = *run_scenario(scenario, quiet());
  EXPECT_EQ(first.trace_hash, again.trace_hash);
  RunOptions other = quiet();
  other.seed = 99;
  EXPECT_NE(run_scenario(scenario, other)->trace_hash, first.trace_hash);
}

TEST(RunnerTest, AnInjectedViolationIsReported) {
  RunOptions options = quiet();
  options.test_hook = [](InvariantChecker& checker) {
    checker.inject_violation("one_leader_per_term", "injected by the test hook");
  };
  const Result<RunResult> result = run_scenario(load("quickstart"), options);
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->passed);
  ASSERT_FALSE(result->failures.empty());
  EXPECT_NE(result->failures.front().find("injected by the test hook"), std::string::npos);
  EXPECT_EQ(result->violations_by_kind.at("one_leader_per_term"), 1U);
}

TEST(RunnerTest, FailedExpectationsFailTheRun) {
  Scenario scenario = load("quickstart");
  scenario.expect[1].replicas = 4;  // only 3 exist
  const Result<RunResult> result = run_scenario(scenario, quiet());
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->passed);
  EXPECT_NE(result->failures.front().find("expect[1]"), std::string::npos);
}

TEST(RunnerTest, ReportsAreWritten) {
  RunOptions options;
  options.quiet = true;
  options.out_dir = std::string(HERD_BINARY_DIR) + "/runner-test-reports";
  const Result<RunResult> result = run_scenario(load("quickstart"), options);
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(std::filesystem::exists(result->json_path));
  EXPECT_TRUE(std::filesystem::exists(result->html_path));
  EXPECT_GT(std::filesystem::file_size(result->html_path), 5'000U);
}

// A small cluster explored over 50 seeds with random faults: every seed must keep the
// invariants (faults are bounded by protect_quorum, so a violation is a bug).
TEST(RunnerTest, ExploreFiftySeeds) {
  Result<Scenario> scenario = parse_scenario(R"({
    "name": "explore-small", "duration": "4m",
    "topology": { "datacenters": [ { "name": "dc1", "managers": 3, "workers": 6 } ] },
    "timeline": [ { "at": "20s", "do": "service.create",
                    "spec": { "name": "web", "image": "nginx", "replicas": 8,
                              "restart": { "delay": "1s" }, "task": { "start_latency": "1s" } } } ],
    "explore": { "faults": ["crash", "partition", "clog", "link.loss", "clock.skew", "cpu.slow"],
                 "rate": "4/min", "max_concurrent": 1, "protect_quorum": true } })");
  ASSERT_TRUE(scenario.ok()) << scenario.status();
  int failed = 0;
  std::map<std::string, int> faults;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    RunOptions options = quiet();
    options.seed = seed;
    options.explore = true;
    const Result<RunResult> result = run_scenario(*scenario, options);
    ASSERT_TRUE(result.ok()) << result.status();
    for (const auto& [kind, count] : result->faults_by_kind) faults[kind] += count;
    if (!result->passed) {
      ++failed;
      ADD_FAILURE() << "seed " << seed << ": " << result->failures.front();
    }
  }
  EXPECT_EQ(failed, 0);
  EXPECT_GT(faults.size(), 3U) << "several kinds of faults were injected";
}

}  // namespace
}  // namespace herd::scenarios
