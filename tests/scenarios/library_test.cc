// The scenario library: every file parses, and every scenario small enough for the default suite
// runs green with its own seed and shows the behaviour its description promises.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "scenarios/runner.h"
#include "scenarios/scenario_parser.h"

namespace herd::scenarios {
namespace {

const std::filesystem::path kLibrary = std::filesystem::path(HERD_SOURCE_DIR) / "scenarios/library";

// Too large for the default suite; bench/scenarios runs them.
const std::set<std::string> kScaleScenarios = {"swarm2k", "swarm3k"};

std::vector<std::string> library_names() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kLibrary)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

Scenario load(const std::string& name) {
  Result<Scenario> scenario = load_scenario((kLibrary / (name + ".json")).string());
  EXPECT_TRUE(scenario.ok()) << name << ": " << scenario.status();
  return scenario.ok() ? *scenario : Scenario();
}

nlohmann::json run_green(const std::string& name) {
  RunOptions options;
  options.quiet = true;
  options.write_reports = false;
  const Result<RunResult> result = run_scenario(load(name), options);
  EXPECT_TRUE(result.ok()) << result.status();
  if (!result.ok()) return {};
  for (const std::string& failure : result->failures) ADD_FAILURE() << name << ": " << failure;
  EXPECT_TRUE(result->passed) << name;
  return result->report;
}

bool has_event(const nlohmann::json& report, const std::string& kind, const std::string& text) {
  for (const auto& event : report["events"]) {
    if (event["kind"] == kind && event["text"].get<std::string>().find(text) != std::string::npos)
      return true;
  }
  return false;
}

int leader_elections(const nlohmann::json& report) {
  int elections = 0;
  for (const auto& event : report["events"]) elections += event["kind"] == "leader" ? 1 : 0;
  return elections;
}

TEST(LibraryTest, HoldsEveryScenarioTheIssueNames) {
  const std::vector<std::string> names = library_names();
  for (const char* wanted :
       {"quickstart", "leader-failover", "partition-minority-leader", "asymmetric-partition",
        "manager-live-upgrade", "drain-and-remove", "rolling-update-rollback",
        "global-service-churn", "topology-5-1", "topology-5-3", "topology-5-4", "topology-6-4",
        "disk-corruption-on-restart", "clock-skew", "swarm2k", "swarm3k"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), wanted), names.end()) << wanted;
  }
}

TEST(LibraryTest, EveryFileParsesAndIsNamedForItsScenario) {
  for (const std::string& name : library_names()) {
    const Scenario scenario = load(name);
    EXPECT_EQ(scenario.name, name);
    EXPECT_FALSE(scenario.description.empty()) << name;
    EXPECT_FALSE(scenario.expect.empty()) << name;
  }
}

class SmallScenarioTest : public testing::TestWithParam<std::string> {};

TEST_P(SmallScenarioTest, RunsGreenWithItsSeed) { run_green(GetParam()); }

std::vector<std::string> small_names() {
  std::vector<std::string> names;
  for (const std::string& name : library_names()) {
    if (!kScaleScenarios.contains(name)) names.push_back(name);
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Library, SmallScenarioTest, testing::ValuesIn(small_names()),
                         [](const testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(LibraryTest, PartitionedLeaderIsReplaced) {
  const nlohmann::json report = run_green("partition-minority-leader");
  EXPECT_GE(leader_elections(report), 2);
}

TEST(LibraryTest, OneWayPartitionDoesNotMakeElectionsFlap) {
  const nlohmann::json report = run_green("asymmetric-partition");
  EXPECT_GE(leader_elections(report), 2);
  EXPECT_LE(leader_elections(report), 3);
}

TEST(LibraryTest, FailingUpdateRollsBack) {
  const nlohmann::json report = run_green("rolling-update-rollback");
  EXPECT_TRUE(has_event(report, "update", "web: UPDATE_STATE_ROLLBACK_STARTED"));
  EXPECT_TRUE(has_event(report, "update", "web: UPDATE_STATE_ROLLBACK_COMPLETED"));
}

TEST(LibraryTest, CorruptWalKeepsTheManagerDownWithAReason) {
  const nlohmann::json report = run_green("disk-corruption-on-restart");
  EXPECT_TRUE(has_event(report, "error", "mg2 failed to start: corruption"));
}

TEST(LibraryTest, DatacenterLossLeavesAQuorumThatReelects) {
  const nlohmann::json report = run_green("topology-5-3");
  EXPECT_TRUE(has_event(report, "fault", "crash mg0"));
  EXPECT_GE(leader_elections(report), 2);
}

}  // namespace
}  // namespace herd::scenarios
